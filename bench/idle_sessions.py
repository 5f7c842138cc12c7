#!/usr/bin/env python3
"""Opens N SMTP sessions to HOST:PORT and keeps them idle, then prints "ready" and waits for stdin to
close. With --starttls each session says EHLO and completes STARTTLS first (certificate not checked:
a benchmark on loopback). Used by bench/run-standalone to measure memory per idle session."""
import socket
import ssl
import sys


def main():
    host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    starttls = "--starttls" in sys.argv
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    held = []
    for i in range(count):
        s = socket.create_connection((host, port))
        f = s.makefile("rb")
        greeting = f.readline()
        if not greeting.startswith(b"220"):
            sys.exit(f"session {i}: {greeting!r}")
        if starttls:
            s.sendall(b"EHLO bench.example\r\n")
            while True:
                line = f.readline()
                if line[3:4] != b"-":
                    break
            s.sendall(b"STARTTLS\r\n")
            if not f.readline().startswith(b"220"):
                sys.exit(f"session {i}: STARTTLS refused")
            s = context.wrap_socket(s, server_hostname="mx.example.com")
        held.append(s)
    print("ready", flush=True)
    sys.stdin.read()


main()
