#!/usr/bin/env python3
"""One measured run of bench/run-outbound: sends MESSAGES tagged messages to an SMTP server over
SESSIONS concurrent sessions, waits until smtp-sink (run with -d SINK_DIR/...) has dumped them all,
and prints one line of key=value results on stdout:

  delivered_per_s  MESSAGES / (arrival of the last message at the sink - the first connect)
  accepted_per_s   MESSAGES / (the last 250 after DATA - the first connect)
  delay_median_ms, delay_p99_ms, delay_max_ms
                   per message: arrival at the sink (mtime of its dump file) - the time the server's
                   250 after DATA reached the source (time.time())
  source_cpu       CPU of this process while it sent, % of one core (100 % = the source is the limit)
  sink_cpu, server_cpu
                   CPU of smtp-sink and of the server (with its child processes: Postfix's master
                   and its daemons; children that exit during the run are not counted), % of one
                   core, from the first connect to the last arrival
  machine_busy     all cores, % busy over the same time (from /proc/stat)
  duplicates       messages the sink received more than once (counted once, first arrival)

Each message carries `X-Bench-Seq: TAG-N` (N = 1..MESSAGES) and ends with an `X-Bench-End` line,
so a dump file is known to be complete. The session does EHLO once, then MAIL, RCPT, DATA
(pipelined when the server offers PIPELINING), the message, and repeats until all are sent; then
QUIT. A reply other than the expected one stops the run (exit 3); a sink that has not received
every message within TIMEOUT seconds of the first connect, or a sink or server process that is
gone, fails it (exit 2). Files in SINK_DIR are
removed at the end of a run, pass or fail."""
import argparse
import asyncio
import os
import resource
import shutil
import sys
import time

MAIL_FROM = "sender@elsewhere.example"


def cpu_ticks(pid, with_children):
    """utime + stime in clock ticks of pid (all its threads), plus its live children's."""
    def one(p):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return int(fields[1]), int(fields[11]) + int(fields[12])  # ppid, utime + stime
        except (OSError, IndexError, ValueError):
            return None
    ticks = {}
    me = one(pid)
    if me is None:
        return ticks
    ticks[pid] = me[1]
    if with_children:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                r = one(int(entry))
                if r and r[0] == pid:
                    ticks[int(entry)] = r[1]
    return ticks


def ticks_delta(before, after):
    return sum(t - before.get(p, 0) for p, t in after.items())


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def machine_ticks():
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values[:8]), idle


class Failure(Exception):
    pass


async def read_reply(reader):
    lines = []
    while True:
        line = await reader.readline()
        if not line:
            raise Failure("connection closed by the server" + (f" after {lines!r}" if lines else ""))
        lines.append(line)
        if line[3:4] != b"-":  # "250 " and a bare "250" both end a reply
            return int(line[:3]), lines


def build_message(tag, seq, rcpt, size):
    head = (f"From: <{MAIL_FROM}>\r\nTo: <{rcpt}>\r\nSubject: outbound benchmark {seq}\r\n"
            f"Message-ID: <{tag}.{seq}@source.bench.example>\r\n"
            f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}\r\n"
            f"X-Bench-Seq: {tag}-{seq}\r\n\r\n").encode()
    body = bytearray()
    line = b"The quick brown fox jumps over the lazy dog, message body filler text line.\r\n"
    while len(head) + len(body) + len(line) < size:
        body += line
    return head + bytes(body) + b"X-Bench-End\r\n.\r\n"


async def session(args, tag, counter, acks, first_error):
    reader, writer = await asyncio.open_connection(args.host, args.port)
    try:
        code, lines = await read_reply(reader)
        if code != 220:
            raise Failure(f"greeting: {lines!r}")
        writer.write(b"EHLO source.bench.example\r\n")
        code, lines = await read_reply(reader)
        if code != 250:
            raise Failure(f"EHLO: {lines!r}")
        pipelining = any(l[4:].strip().upper() == b"PIPELINING" for l in lines)
        envelope = [f"MAIL FROM:<{MAIL_FROM}>\r\n".encode(), f"RCPT TO:<{args.rcpt}>\r\n".encode(),
                    b"DATA\r\n"]
        expect = [250, 250, 354]
        while not first_error:
            if counter[0] >= args.messages:
                break
            counter[0] += 1
            seq = counter[0]
            message = build_message(tag, seq, args.rcpt, args.size)
            if pipelining:
                writer.write(b"".join(envelope))
                for want, what in zip(expect, ("MAIL", "RCPT", "DATA")):
                    code, lines = await read_reply(reader)
                    if code != want:
                        raise Failure(f"message {seq}: {what}: {lines!r}")
            else:
                for cmd, want, what in zip(envelope, expect, ("MAIL", "RCPT", "DATA")):
                    writer.write(cmd)
                    code, lines = await read_reply(reader)
                    if code != want:
                        raise Failure(f"message {seq}: {what}: {lines!r}")
            writer.write(message)
            code, lines = await read_reply(reader)
            acks[seq] = time.time()
            if code != 250:
                raise Failure(f"message {seq}: end of data: {lines!r}")
        writer.write(b"QUIT\r\n")
        await writer.drain()
        await read_reply(reader)
    finally:
        writer.close()


async def send_all(args, tag, acks):
    counter = [0]
    first_error = []

    async def guarded(i):
        try:
            await session(args, tag, counter, acks, first_error)
        except (Failure, OSError) as e:
            first_error.append(f"session {i}: {e}")
    await asyncio.gather(*(guarded(i) for i in range(args.sessions)))
    return first_error


def scan_sink(sink_dir, tag, arrivals, done_files):
    """Adds newly complete dump files to arrivals {seq: [first mtime_ns, copies]}."""
    marker = f"X-Bench-Seq: {tag}-".encode()
    for root, _dirs, files in os.walk(sink_dir):
        for name in files:
            path = os.path.join(root, name)
            if path in done_files:
                continue
            try:
                with open(path, "rb") as f:
                    data = f.read()
                mtime = os.stat(path).st_mtime_ns
            except OSError:
                continue
            if b"\nX-Bench-End\n" not in data and b"\nX-Bench-End\r\n" not in data:
                continue  # still being written
            done_files.add(path)
            at = data.find(marker)
            if at < 0:
                continue  # not this run's
            end = data.find(b"\n", at)
            seq = int(data[at + len(marker):end].strip())
            entry = arrivals.get(seq)
            if entry is None:
                arrivals[seq] = [mtime, 1]
            else:
                entry[0] = min(entry[0], mtime)
                entry[1] += 1


def clear_dir(path):
    for entry in os.listdir(path):
        p = os.path.join(path, entry)
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p, ignore_errors=True)
        else:
            try:
                os.unlink(p)
            except OSError:
                pass


def percentile(sorted_values, q):
    """Nearest rank."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * q // 100))
    return sorted_values[int(rank) - 1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--messages", type=int, required=True)
    ap.add_argument("--sessions", type=int, required=True)
    ap.add_argument("--rcpt", required=True)
    ap.add_argument("--size", type=int, default=2000, help="message size in bytes (approx.)")
    ap.add_argument("--sink-dir", required=True)
    ap.add_argument("--sink-pid", type=int, default=0)
    ap.add_argument("--server-pid", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--tag", default=f"{os.getpid()}x{int(time.time())}")
    args = ap.parse_args()

    for root, _dirs, files in os.walk(args.sink_dir):
        if files:
            sys.exit(f"outbound_source: {args.sink_dir} is not empty before the run")
    try:
        sys.exit(run(args))
    finally:
        clear_dir(args.sink_dir)


def run(args):
    acks = {}
    arrivals = {}
    done_files = set()
    sink0 = cpu_ticks(args.sink_pid, False) if args.sink_pid else {}
    server0 = cpu_ticks(args.server_pid, True) if args.server_pid else {}
    machine0 = machine_ticks()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.time()
    errors = asyncio.run(send_all(args, args.tag, acks))
    t_sent = time.time()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    if errors:
        print(f"outbound_source: the server refused or dropped a message: {errors[0]}", file=sys.stderr)
        return 3
    deadline = t0 + args.timeout
    while True:
        scan_sink(args.sink_dir, args.tag, arrivals, done_files)
        if len(arrivals) >= args.messages:
            break
        for pid, what in ((args.sink_pid, "smtp-sink"), (args.server_pid, "the server")):
            if pid and not alive(pid):
                print(f"outbound_source: FAILED: {what} (pid {pid}) exited; the sink has "
                      f"{len(arrivals)} of {args.messages} messages", file=sys.stderr)
                return 2
        if time.time() > deadline:
            print(f"outbound_source: FAILED: the sink received {len(arrivals)} of {args.messages} "
                  f"messages within {args.timeout:.0f} s", file=sys.stderr)
            return 2
        time.sleep(0.2)
    sink1 = cpu_ticks(args.sink_pid, False) if args.sink_pid else {}
    server1 = cpu_ticks(args.server_pid, True) if args.server_pid else {}
    machine1 = machine_ticks()

    last_arrival = max(v[0] for v in arrivals.values()) / 1e9
    delays = sorted(arrivals[s][0] / 1e9 - acks[s] for s in arrivals)
    hz = os.sysconf("SC_CLK_TCK")
    span = last_arrival - t0
    wall = machine1[0] - machine0[0]
    source_cpu = (cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime) / (t_sent - t0)
    result = {
        "delivered_per_s": f"{args.messages / span:.0f}",
        "accepted_per_s": f"{args.messages / (max(acks.values()) - t0):.0f}",
        "delay_median_ms": f"{percentile(delays, 50) * 1000:.1f}",
        "delay_p99_ms": f"{percentile(delays, 99) * 1000:.1f}",
        "delay_max_ms": f"{delays[-1] * 1000:.1f}",
        "source_cpu": f"{source_cpu * 100:.0f}%",
        "sink_cpu": f"{ticks_delta(sink0, sink1) / hz / span * 100:.0f}%" if args.sink_pid else "n/a",
        "server_cpu": f"{ticks_delta(server0, server1) / hz / span * 100:.0f}%" if args.server_pid else "n/a",
        "machine_busy": f"{(1 - (machine1[1] - machine0[1]) / wall) * 100:.0f}%" if wall else "n/a",
        "duplicates": str(sum(v[1] - 1 for v in arrivals.values())),
    }
    print(" ".join(f"{k}={v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    main()
