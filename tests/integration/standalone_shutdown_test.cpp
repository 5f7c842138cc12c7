// Stopping the standalone MTA cleanly (SIGTERM, as systemd does): every open session is told
// `421 4.3.2 … Service shutting down` instead of losing its connection, a message being transferred
// is finished and queued first, and the next start finds nothing to recover.
#define BOOST_TEST_MODULE standalone_shutdown
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <thread>

#include "support/process.hpp"
#include "support/smtp_session.hpp"
#include "support/standalone_world.hpp"
#include "support/swaks.hpp"

using namespace mw::itest;
namespace fs = std::filesystem;

namespace {

struct World {
    mw::test::TempDir pki_dir{"pki"};
    Pki pki{pki_dir.path()};
    mw::test::TempDir dir{"sd"};
    StandaloneWorld mta{dir.path() / "mta", pki};
    World() { mta.daemon().start(); }
};

const std::string shutting_down = "421 4.3.2 mx.example.com Service shutting down";

// A TLS session that sits idle after STARTTLS and EHLO, then prints the next reply it gets.
const char* idle_tls_client = R"PY(
import smtplib, ssl, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), local_hostname="py.example", timeout=60)
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
s.starttls(context=context)
s.ehlo()
print("idle", flush=True)
code, text = s.getreply()
print(code, text.decode(), flush=True)
)PY";

}  // namespace

BOOST_AUTO_TEST_CASE(stop_says_421_to_every_session_and_finishes_the_message_in_transfer) {
    World w;
    auto& daemon = w.mta.daemon();
    SmtpSession greeted("127.0.0.1", w.mta.smtp_port());
    SmtpSession after_ehlo("127.0.0.1", w.mta.smtp_port());
    after_ehlo.command("EHLO client.example");
    SmtpSession in_transaction("127.0.0.1", w.mta.smtp_port());
    in_transaction.command("EHLO client.example");
    BOOST_TEST(in_transaction.command("MAIL FROM:<someone@elsewhere.example>") == "250 2.1.0 Ok");
    SmtpSession in_data("127.0.0.1", w.mta.smtp_port());
    in_data.command("EHLO client.example");
    BOOST_TEST(in_data.command("MAIL FROM:<someone@elsewhere.example>") == "250 2.1.0 Ok");
    BOOST_TEST(in_data.command("RCPT TO:<bob@example.com>") == "250 2.1.5 Ok");
    BOOST_TEST(in_data.command("DATA").rfind("354 ", 0) == 0u);
    in_data.send_raw("Subject: shutdown-1\r\n\r\nfirst half\r\n");

    mw::test::TempDir io("py");
    SpawnOptions py;
    py.argv = {"python3", "-c", idle_tls_client, std::to_string(w.mta.smtp_port())};
    py.stdout_path = io.path() / "out";
    py.stderr_path = io.path() / "out";
    Process tls_client(py);
    BOOST_TEST_REQUIRE(wait_for([&] { return read_file(io.path() / "out").find("idle\n") != std::string::npos; }, 20s),
                       read_file(io.path() / "out"));

    std::size_t mark = daemon.log_size();
    int status = -1;
    std::jthread stopper([&] { status = daemon.stop(); });  // joined even when a check throws
    BOOST_TEST(daemon.wait_log("smtp: stopping: ", 20s, mark), daemon.log().substr(mark));
    // The message in transfer is finished, queued and acknowledged; then that session is told too.
    in_data.send_raw("second half\r\n.\r\n");
    BOOST_TEST(in_data.read_reply().rfind("250 2.0.0 Ok: queued as ", 0) == 0u);
    BOOST_TEST(in_data.read_reply() == shutting_down);
    for (SmtpSession* s : {&greeted, &after_ehlo, &in_transaction, &in_data}) {
        if (s != &in_data) BOOST_TEST(s->read_reply() == shutting_down);
        BOOST_TEST(s->closed_by_server(10s));
    }
    auto tls_status = tls_client.wait(30s);
    BOOST_TEST((tls_status && *tls_status == 0));
    BOOST_TEST(read_file(io.path() / "out").find("421 4.3.2 mx.example.com Service shutting down\n") != std::string::npos,
               read_file(io.path() / "out"));
    stopper.join();
    BOOST_TEST(status == 0, daemon.log());

    // What was acknowledged is delivered, after the restart if not before.
    daemon.start();
    BOOST_TEST(w.mta.wait_message("bob", "Subject: shutdown-1").has_value(), daemon.log());
}

BOOST_AUTO_TEST_CASE(a_clean_stop_leaves_nothing_for_the_next_start_to_recover) {
    World w;
    auto& daemon = w.mta.daemon();
    auto o = w.mta.internet("someone@elsewhere.example", {"bob@example.com"});
    o.headers = {"Subject: before-stop-1"};
    auto r = swaks(o);
    BOOST_TEST(r.status == 0, r.transcript);
    std::string id = r.queue_id();
    BOOST_TEST_REQUIRE(w.mta.wait_message("bob", "Subject: before-stop-1").has_value());
    BOOST_TEST_REQUIRE(daemon.wait_log(id + ": to=<bob@example.com>"), daemon.log());
    BOOST_TEST(daemon.stop() == 0);

    std::size_t mark = daemon.log_size();
    daemon.start();
    std::string log = daemon.log().substr(mark);
    BOOST_TEST(log.find("queue:") == std::string::npos, log);
    BOOST_TEST(log.find("segment") == std::string::npos, log);
    // Still a working queue.
    o.headers = {"Subject: after-restart-1"};
    BOOST_TEST(swaks(o).status == 0);
    BOOST_TEST(w.mta.wait_message("bob", "Subject: after-restart-1").has_value());
}
