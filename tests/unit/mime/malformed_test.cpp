// The MIME inspection against hostile and broken structure: part bombs, deep nesting (of multiparts
// and of message/rfc822), a multipart without boundary, bad base64, an unknown transfer encoding, a
// missing end boundary, content over the decoded-bytes limit, and the budget GMime is parsed within.
#define BOOST_TEST_MODULE mime malformed
#include "mime_test_support.hpp"

using namespace mime_test;

BOOST_AUTO_TEST_CASE(part_bomb_is_counted_and_flagged) {
    std::string message = headers + "Content-Type: multipart/mixed; boundary=z\n\n";
    for (int i = 0; i < 10000; ++i) message += "--z\n\nx\n";
    message += "--z--\n";
    const MessageContent content = inspect(message);
    BOOST_TEST(content.part_count == 10001u);
    BOOST_TEST(content.parts.size() == 500u);
    BOOST_TEST(content.parts.back().section == "499");
    BOOST_TEST(has_reason(content, "more than 500 MIME parts"), reasons(content));
}

BOOST_AUTO_TEST_CASE(deep_multipart_nesting_does_not_crash) {
    std::string message = headers;
    for (int i = 0; i < 10000; ++i) {
        message += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\n\n--b" + std::to_string(i) + "\n";
    }
    message += "Content-Type: text/plain\n\ndeep\n";
    const MessageContent content = inspect(message);
    BOOST_TEST(has_reason(content, "nested deeper than 10 levels"), reasons(content));
    // GMime stops following the nesting at its own limit (1024 levels) and says so.
    bool overflow = false;
    for (const auto& r : content.malformed) overflow = overflow || r.find("nested deeper than the MIME parser follows") != std::string::npos;
    BOOST_TEST(overflow, reasons(content));
    BOOST_TEST(content.part_count > 1000u);
    BOOST_TEST(content.part_count < 1100u);
}

BOOST_AUTO_TEST_CASE(deep_message_rfc822_nesting_does_not_crash) {
    std::string message;
    for (int i = 0; i < 10000; ++i) message += "Subject: level\nContent-Type: message/rfc822\n\n";
    message += "Subject: bottom\n\ntext\n";
    const MessageContent content = inspect(message, MimeLimits{.max_depth = 10, .max_parts = 20000});
    BOOST_TEST(has_reason(content, "nested deeper than 10 levels"), reasons(content));
    BOOST_TEST(content.part_count > 100u);
    BOOST_TEST(content.parts[1].section == "1.1");
    BOOST_TEST(content.parts[2].section == "1.1.1");
}

BOOST_AUTO_TEST_CASE(multipart_without_boundary) {
    const MessageContent content = inspect(headers + "Content-Type: multipart/mixed\n\n--x\nContent-Type: text/plain\n\nhidden\n--x--\n");
    BOOST_TEST(sections(content) == "TEXT");
    BOOST_TEST(content.malformed == names({"part TEXT: multipart without boundary"}), reasons(content));
}

BOOST_AUTO_TEST_CASE(bad_base64_and_unknown_encoding) {
    const MessageContent bad = inspect(with_attachment(
        "Content-Type: application/octet-stream; name=a.bin\nContent-Transfer-Encoding: base64", "TVqQ!!AAMA*AAA\n"));
    BOOST_TEST(bad.malformed == names({"part 2: base64 content with characters outside the alphabet"}), reasons(bad));

    const MessageContent unknown = inspect(with_attachment(
        "Content-Type: application/octet-stream; name=a.bin\nContent-Transfer-Encoding: x-rot13", "abc\n"));
    BOOST_TEST(unknown.parts[2].transfer_encoding == "x-rot13");
    BOOST_TEST(unknown.malformed == names({"part 2: unknown Content-Transfer-Encoding"}), reasons(unknown));
}

BOOST_AUTO_TEST_CASE(truncated_multipart_is_malformed) {
    const MessageContent content = inspect(headers + "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
                                           "Content-Type: text/plain\n\nno end boundary\n");
    BOOST_TEST(has_reason(content, "message: truncated (a multipart lacks its end boundary)"), reasons(content));
}

BOOST_AUTO_TEST_CASE(decoded_bytes_over_the_limit) {
    const MessageContent content = inspect(with_attachment(
        "Content-Type: application/octet-stream; name=a.bin\nContent-Transfer-Encoding: base64",
        "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\n"), MimeLimits{.max_decoded_bytes = 20});
    BOOST_TEST(content.parts[2].decoded_size == 36u);
    BOOST_TEST(content.malformed == names({"more than 20 decoded bytes"}), reasons(content));
}

BOOST_AUTO_TEST_CASE(empty_input_is_malformed_not_an_error) {
    const MessageContent content = inspect("");
    BOOST_TEST(!content.malformed.empty());
}

BOOST_AUTO_TEST_CASE(huge_part_bomb_is_parsed_only_up_to_the_budget) {
    // GMime would build all 200,000 parts in memory; past 50,000 boundary lines they are counted.
    const std::string head = headers + "Content-Type: multipart/mixed; boundary=z\n\n";
    std::string message = head;
    for (int i = 0; i < 200000; ++i) message += "--z\n\nx\n";
    message += "--z--\n";
    const MessageContent content = inspect(message);
    BOOST_TEST(content.part_count == 200002u);  // the parsed 50,000 parts and their multipart, 150,001 lines after
    BOOST_TEST(content.parts.size() == 500u);
    const std::size_t cut = head.size() + 50000 * std::string("--z\n\nx\n").size();
    BOOST_TEST(has_reason(content, "not parsed past byte " + std::to_string(cut) + ": more than 50000 boundary lines"),
               reasons(content));
    BOOST_TEST(has_reason(content, "more than 500 MIME parts"), reasons(content));
}

BOOST_AUTO_TEST_CASE(dash_lines_under_deep_nesting_are_parsed_only_up_to_the_budget) {
    // Each "--" line costs GMime one comparison per open boundary (up to 1024 of them).
    std::string message = headers;
    for (int i = 0; i < 1000; ++i) {
        message += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\n\n--b" + std::to_string(i) + "\n";
    }
    message += "Content-Type: text/plain\n\n";
    for (int i = 0; i < 200000; ++i) message += "--\n";
    const MessageContent content = inspect(message, MimeLimits{.max_depth = 2000, .max_parts = 5000});
    bool found = false;
    for (const auto& r : content.malformed) found = found || r.find(": too many nested boundaries") != std::string::npos;
    BOOST_TEST(found, reasons(content));
    BOOST_TEST(content.part_count == 1001u);  // 1000 multiparts and the text part
}

BOOST_AUTO_TEST_CASE(deep_nesting_fits_a_small_thread_stack) {
    // GMime's parser recurses once or twice per level but stops at 1024 levels; the walk keeps its
    // own stack. Both fit in 256 KB, far below the 8 MB a milter or server thread gets.
    static std::string message;
    message.clear();
    for (int i = 0; i < 10000; ++i) {
        message += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\n\n--b" + std::to_string(i) + "\n";
    }
    static std::size_t part_count = 0;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_t thread;
    auto run = [](void*) -> void* {
        auto result = mw::mime::inspect(message, {});
        part_count = result.ok() ? result->part_count : 0;
        return nullptr;
    };
    BOOST_REQUIRE_EQUAL(pthread_create(&thread, &attr, run, nullptr), 0);
    pthread_join(thread, nullptr);
    pthread_attr_destroy(&attr);
    BOOST_TEST(part_count == 1025u);  // GMime's 1024 levels and the unparsed rest as one part
}
