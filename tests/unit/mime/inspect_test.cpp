// The MIME inspection against real messages: made by Python's email package, swaks and mpack, and
// written out in the shapes Outlook and Apple Mail send; file names in RFC 2231 and RFC 2047 forms,
// forwarded messages, and the body text's charsets, HTML, line ends and truncation.
#define BOOST_TEST_MODULE mime inspect
#include "mime_test_support.hpp"

using namespace mime_test;

BOOST_AUTO_TEST_CASE(python_email_package_attachment) {
    const std::string message = output_of(
        "python3 -c \"import email.message,email.policy,sys; m=email.message.EmailMessage(); "
        "m['From']='a@example.com'; m['To']='b@example.com'; m['Subject']='report'; "
        "m.set_content('Please see the attachment.\\n'); "
        "m.add_attachment(bytes(range(256))*4, maintype='application', subtype='octet-stream', filename='invoice.exe'); "
        "sys.stdout.buffer.write(m.as_bytes(policy=email.policy.SMTP))\"");
    BOOST_REQUIRE(message.find("\r\n") != std::string::npos);  // SMTP policy: CRLF line ends
    const MessageContent content = inspect(message);
    BOOST_TEST(sections(content) == "TEXT 1 2");
    BOOST_TEST(content.part_count == 3u);
    BOOST_TEST(content.malformed.empty(), reasons(content));
    const MimePart& top = content.parts[0];
    BOOST_TEST(top.content_type == "multipart/mixed");
    BOOST_TEST(top.container);
    BOOST_TEST(!top.attachment);
    BOOST_TEST(top.depth == 0u);
    const MimePart& text = content.parts[1];
    BOOST_TEST(text.content_type == "text/plain");
    BOOST_TEST(text.transfer_encoding == "7bit");
    BOOST_TEST(!text.attachment);
    BOOST_TEST(text.depth == 1u);
    const MimePart& file = content.parts[2];
    BOOST_TEST(file.content_type == "application/octet-stream");
    BOOST_TEST(file.disposition == "attachment");
    BOOST_TEST(file.transfer_encoding == "base64");
    BOOST_TEST(file.file_names == names({"invoice.exe"}));
    BOOST_TEST(file.decoded_size == 1024u);
    BOOST_TEST(file.attachment);
    BOOST_TEST(!file.container);
    BOOST_TEST(content.body_text == "Please see the attachment.\n");
    BOOST_TEST(!content.body_text_truncated);
}

BOOST_AUTO_TEST_CASE(swaks_attachment) {
    const std::string file = write_temp("mime-inspect-swaks.bin", std::string("MZ\x90\0\3\0\0\0payload", 15));
    const std::string message = output_of("swaks --to a@b.example --from c@d.example --attach-name evil.exe --attach @" +
                                          file + " --dump-mail");
    const MessageContent content = inspect(message);
    BOOST_TEST(sections(content) == "TEXT 1 2");
    BOOST_TEST(content.malformed.empty(), reasons(content));
    const MimePart& exe = content.parts[2];
    BOOST_TEST(exe.content_type == "application/octet-stream");
    BOOST_TEST(exe.transfer_encoding == "base64");  // swaks writes BASE64
    BOOST_TEST(exe.file_names == names({"evil.exe"}));
    BOOST_TEST(exe.decoded_size == 15u);
    BOOST_TEST(exe.attachment);
    BOOST_TEST(content.body_text == "This is a test mailing");
}

BOOST_AUTO_TEST_CASE(mpack_attachment) {
    const std::string file = write_temp("mime-inspect-mpack.exe", std::string(3000, 'x'));
    const char* tmp = std::getenv("TMPDIR");
    const std::string out = std::string(tmp ? tmp : "/tmp") + "/mime-inspect-mpack.eml";
    std::remove(out.c_str());  // mpack does not overwrite
    BOOST_REQUIRE_EQUAL(std::system(("mpack -s subj -o '" + out + "' '" + file + "'").c_str()), 0);
    std::ifstream in(out, std::ios::binary);
    std::stringstream message;
    message << in.rdbuf();
    const MessageContent content = inspect(message.str());
    BOOST_TEST(sections(content) == "TEXT 1");  // the boundary is "-"; the notice is the prologue
    BOOST_TEST(content.malformed.empty(), reasons(content));
    const MimePart& exe = content.parts[1];
    BOOST_TEST(exe.disposition == "inline");
    BOOST_TEST(exe.file_names == names({"mime-inspect-mpack.exe"}));
    BOOST_TEST(exe.decoded_size == 3000u);
    BOOST_TEST(exe.attachment);
    BOOST_TEST(content.body_text == "");
}

BOOST_AUTO_TEST_CASE(outlook_alternative_and_attachment) {
    const std::string message = crlf(headers +
        "Content-Type: multipart/mixed;\n\tboundary=\"_004_OUTLOOK_\"\n\n"
        "--_004_OUTLOOK_\n"
        "Content-Type: multipart/alternative;\n\tboundary=\"_000_OUTLOOK_\"\n\n"
        "--_000_OUTLOOK_\n"
        "Content-Type: text/plain; charset=\"iso-8859-1\"\nContent-Transfer-Encoding: quoted-printable\n\n"
        "Invoice attached, r=E9sum=E9.\n"
        "--_000_OUTLOOK_\n"
        "Content-Type: text/html; charset=\"iso-8859-1\"\nContent-Transfer-Encoding: quoted-printable\n\n"
        "<html><head><style>p {margin:0}</style></head><body><p>Invoice attached, r=E9sum=E9.</p></body></html>\n"
        "--_000_OUTLOOK_--\n\n"
        "--_004_OUTLOOK_\n"
        "Content-Type: application/octet-stream; name=\"Invoice 2026.exe\"\n"
        "Content-Description: Invoice 2026.exe\n"
        "Content-Disposition: attachment; filename=\"Invoice_2026.exe\"; size=12;\n"
        "\tcreation-date=\"Thu, 03 Dec 2026 10:00:00 GMT\"\n"
        "Content-Transfer-Encoding: base64\n\n"
        "aGVsbG8gd29ybGQh\n"
        "--_004_OUTLOOK_--\n");
    const MessageContent content = inspect(message);
    BOOST_TEST(sections(content) == "TEXT 1 1.1 1.2 2");
    BOOST_TEST(content.malformed.empty(), reasons(content));
    BOOST_TEST(content.parts[1].content_type == "multipart/alternative");
    BOOST_TEST(content.parts[2].depth == 2u);
    BOOST_TEST(content.parts[3].content_type == "text/html");
    BOOST_TEST(!content.parts[3].attachment);
    const MimePart& exe = content.parts[4];
    BOOST_TEST(exe.file_names == names({"Invoice_2026.exe", "Invoice 2026.exe"}));
    BOOST_TEST(exe.decoded_size == 12u);
    // The boundary owns the line end before it (RFC 2046 5.1.1); the html part gives one per <p>, </p>.
    BOOST_TEST(content.body_text == "Invoice attached, r\xC3\xA9sum\xC3\xA9.\n\nInvoice attached, r\xC3\xA9sum\xC3\xA9.\n");
}

BOOST_AUTO_TEST_CASE(apple_mail_inline_attachment) {
    const std::string message = with_attachment(
        "Content-Disposition: inline;\n\tfilename=setup.exe\nContent-Type: application/x-msdownload;\n"
        "\tx-unix-mode=0644;\n\tname=\"setup.exe\"\nContent-Transfer-Encoding: base64");
    const MessageContent content = inspect(message);
    BOOST_TEST(content.malformed.empty(), reasons(content));
    const MimePart& exe = content.parts[2];
    BOOST_TEST(exe.content_type == "application/x-msdownload");
    BOOST_TEST(exe.disposition == "inline");
    BOOST_TEST(exe.file_names == names({"setup.exe"}));
    BOOST_TEST(exe.decoded_size == 20u);
    BOOST_TEST(exe.attachment);
    BOOST_TEST(content.body_text == "hello");
}

BOOST_AUTO_TEST_CASE(rfc2231_continuation_and_charset) {
    const MessageContent content = inspect(with_attachment(
        "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n"
        "Content-Disposition: attachment; filename*0*=UTF-8''%C3%A9vil; filename*1=.exe"));
    BOOST_TEST(content.parts[2].file_names == names({"\xC3\xA9vil.exe"}));
    BOOST_TEST(content.malformed.empty(), reasons(content));
}

BOOST_AUTO_TEST_CASE(rfc2047_encoded_word_name) {
    const MessageContent content = inspect(with_attachment(
        "Content-Type: application/octet-stream; name=\"=?UTF-8?B?ZXZpbC5leGU=?=\"\nContent-Transfer-Encoding: base64"));
    BOOST_TEST(content.parts[2].file_names == names({"evil.exe"}));
    BOOST_TEST(content.parts[2].disposition == "");
    BOOST_TEST(content.parts[2].attachment);
}

BOOST_AUTO_TEST_CASE(trailing_dot_and_space_are_kept) {
    const MessageContent dot = inspect(with_attachment(
        "Content-Type: application/octet-stream; name=\"evil.exe.\"\nContent-Transfer-Encoding: base64"));
    BOOST_TEST(dot.parts[2].file_names == names({"evil.exe."}));
    const MessageContent space = inspect(with_attachment(
        "Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"evil.exe \"\n"
        "Content-Transfer-Encoding: base64"));
    BOOST_TEST(space.parts[2].file_names == names({"evil.exe "}));
}

BOOST_AUTO_TEST_CASE(attachment_inside_a_forwarded_message) {
    const std::string inner = "From: x@example.org\nSubject: fwd\nMIME-Version: 1.0\n"
                              "Content-Type: multipart/mixed; boundary=inner\n\n"
                              "--inner\nContent-Type: text/plain\n\ninner text\n"
                              "--inner\nContent-Type: application/x-msdownload; name=evil.exe\n"
                              "Content-Transfer-Encoding: base64\n\nTVqQ\n--inner--\n";
    const MessageContent content = inspect(headers + "Content-Type: multipart/mixed; boundary=outer\n\n"
                                           "--outer\nContent-Type: text/plain\n\nsee below\n"
                                           "--outer\nContent-Type: message/rfc822\n\n" + inner + "--outer--\n");
    BOOST_TEST(sections(content) == "TEXT 1 2 2.TEXT 2.1 2.2");
    BOOST_TEST(content.malformed.empty(), reasons(content));
    BOOST_TEST(content.parts[2].content_type == "message/rfc822");
    BOOST_TEST(content.parts[2].container);
    BOOST_TEST(!content.parts[2].attachment);
    BOOST_TEST(content.parts[3].depth == 2u);
    const MimePart& exe = content.parts[5];
    BOOST_TEST(exe.depth == 3u);
    BOOST_TEST(exe.file_names == names({"evil.exe"}));
    BOOST_TEST(exe.decoded_size == 3u);
    BOOST_TEST(exe.attachment);
    BOOST_TEST(content.body_text == "see below\ninner text");

    // A single-part forwarded message: its body is 2.1 (RFC 3501 6.4.5).
    const MessageContent single = inspect(headers + "Content-Type: multipart/mixed; boundary=outer\n\n"
                                          "--outer\nContent-Type: text/plain\n\nhi\n"
                                          "--outer\nContent-Type: message/rfc822\n\nSubject: inner\n\nbody\n--outer--\n");
    BOOST_TEST(sections(single) == "TEXT 1 2 2.1");
    BOOST_TEST(single.body_text == "hi\nbody");
}

BOOST_AUTO_TEST_CASE(single_part_message_is_part_1) {
    const MessageContent content = inspect("Subject: plain\n\nJust text.\n");
    BOOST_TEST(sections(content) == "1");
    BOOST_TEST(content.part_count == 1u);
    BOOST_TEST(content.parts[0].content_type == "text/plain");
    BOOST_TEST(content.parts[0].depth == 0u);
    BOOST_TEST(content.parts[0].decoded_size == 11u);
    BOOST_TEST(content.body_text == "Just text.\n");
    BOOST_TEST(content.malformed.empty(), reasons(content));
}

BOOST_AUTO_TEST_CASE(zip_named_exe_and_exe_declared_text) {
    const MessageContent zip = inspect(with_attachment(
        "Content-Type: application/zip; name=\"invoice.exe\"\nContent-Transfer-Encoding: base64",
        "UEsDBAoAAAAAAA==\n"));
    BOOST_TEST(zip.parts[2].content_type == "application/zip");
    BOOST_TEST(zip.parts[2].file_names == names({"invoice.exe"}));
    BOOST_TEST(zip.parts[2].decoded_size == 10u);

    const MessageContent text = inspect(with_attachment(
        "Content-Type: text/plain\nContent-Disposition: attachment; filename=\"run.exe\"", "MZ pretend\n"));
    BOOST_TEST(text.parts[2].content_type == "text/plain");
    BOOST_TEST(text.parts[2].attachment);
    BOOST_TEST(text.body_text == "hello");  // an attachment is not body text
}

BOOST_AUTO_TEST_CASE(charsets_are_converted_to_utf8) {
    auto body = [](const std::string& charset, const std::string& bytes, const std::string& cte = "8bit") {
        return inspect("Subject: c\nMIME-Version: 1.0\nContent-Type: text/plain; charset=" + charset +
                       "\nContent-Transfer-Encoding: " + cte + "\n\n" + bytes)
            .body_text;
    };
    BOOST_TEST(body("ISO-8859-1", "caf\xE9") == "caf\xC3\xA9");
    BOOST_TEST(body("windows-1252", "\x80 \x93q\x94") == "\xE2\x82\xAC \xE2\x80\x9Cq\xE2\x80\x9D");
    BOOST_TEST(body("KOI8-R", "\xF0\xD2\xC9\xD7\xC5\xD4") ==
               "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82");  // Привет
    BOOST_TEST(body("Shift_JIS", "\x82\xB1\x82\xF1\x82\xC9\x82\xBF\x82\xCD") ==
               "\xE3\x81\x93\xE3\x82\x93\xE3\x81\xAB\xE3\x81\xA1\xE3\x81\xAF");  // こんにちは
    BOOST_TEST(body("iso-8859-1", "caf=E9", "quoted-printable") == "caf\xC3\xA9");
    // A charset nobody knows, and invalid UTF-8 under none: the bytes pass, repaired.
    BOOST_TEST(body("x-no-such-charset", "ok\xFF") == "ok\xEF\xBF\xBD");
    BOOST_TEST(body("utf-8", "a\xC3(b") == "a\xEF\xBF\xBD(b");
}

BOOST_AUTO_TEST_CASE(html_body_text) {
    const MessageContent content = inspect(
        "Subject: h\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n"
        "<html><head><title>T</title><style>.x{}</style><script>var a='<b>';</script></head>"
        "<body>Pay&nbsp;now at <a href=\"x\">Pay&#80;al</a> &amp; more<br>line</body></html>");
    BOOST_TEST(content.body_text == "\nT\nPay now at PayPal & more\nline");
}

BOOST_AUTO_TEST_CASE(body_text_is_cut_at_a_character_boundary) {
    const std::string message = "Subject: t\nContent-Type: text/plain; charset=utf-8\n\nabc\xE2\x82\xAC";
    const MessageContent cut = inspect(message, MimeLimits{.max_body_text = 5});
    BOOST_TEST(cut.body_text == "abc");
    BOOST_TEST(cut.body_text_truncated);
    const MessageContent whole = inspect(message, MimeLimits{.max_body_text = 6});
    BOOST_TEST(whole.body_text == "abc\xE2\x82\xAC");
    BOOST_TEST(!whole.body_text_truncated);
}

BOOST_AUTO_TEST_CASE(lf_and_crlf_line_ends_give_the_same_result) {
    const std::string lf = with_attachment("Content-Type: application/pdf; name=a.pdf\nContent-Transfer-Encoding: base64");
    const MessageContent a = inspect(lf);
    const MessageContent b = inspect(crlf(lf));
    BOOST_TEST(sections(a) == "TEXT 1 2");
    BOOST_TEST(sections(b) == "TEXT 1 2");
    BOOST_TEST(a.parts[2].decoded_size == 20u);
    BOOST_TEST(b.parts[2].decoded_size == 20u);
    BOOST_TEST(a.body_text == "hello");
    BOOST_TEST(b.body_text == "hello");
    BOOST_TEST(a.malformed.empty());
    BOOST_TEST(b.malformed.empty());
}

BOOST_AUTO_TEST_CASE(inspections_run_concurrently) {
    const std::string message = with_attachment("Content-Type: application/pdf; name=a.pdf\nContent-Transfer-Encoding: base64");
    std::vector<std::thread> threads;
    std::vector<int> good(4, 0);
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) {
                auto result = mw::mime::inspect(message, {});
                if (result.ok() && result->parts.size() == 3 && result->parts[2].decoded_size == 20) ++good[t];
            }
        });
    }
    for (auto& thread : threads) thread.join();
    for (int t = 0; t < 4; ++t) BOOST_TEST(good[t] == 200);
}

