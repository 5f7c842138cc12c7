// STARTTLS (RFC 3207) and AUTH PLAIN / LOGIN (RFC 4954, RFC 4616).
#include "core/quote_text.hpp"
#include "smtp/server/sasl.hpp"
#include "smtp/server/session.hpp"

namespace mw::smtp::server {

namespace {

// Checks a password on `pool` and completes on the caller's executor with the login's canonical
// name (nullopt: refused). The password is wiped on the pool once checked.
template <typename Token>
auto async_check_password(asio::thread_pool& pool, std::shared_ptr<const UsersFile> users, std::string login,
                          std::string password, Token&& token) {
    return asio::async_initiate<Token, void(std::optional<std::string>)>(
        [&pool](auto handler, std::shared_ptr<const UsersFile> users, std::string login, std::string password) {
            auto executor = asio::get_associated_executor(handler);
            asio::post(pool, [handler = std::move(handler), executor, users = std::move(users), login = std::move(login),
                              password = std::move(password)]() mutable {
                std::optional<std::string> canonical;
                if (users->verify(login, password)) canonical = users->canonical_name(login);
                std::fill(password.begin(), password.end(), '\0');
                asio::post(executor, [handler = std::move(handler), canonical = std::move(canonical)]() mutable {
                    std::move(handler)(std::move(canonical));
                });
            });
        },
        token, std::move(users), std::move(login), std::move(password));
}

// Failed logins are answered slowly, and a session gets only a few tries (password guessing).
constexpr unsigned max_auth_failures = 3;
constexpr std::chrono::seconds auth_failure_delay{1};

}  // namespace

bool Session::auth_offered() const {
    if (!shared_.users || !connect_.connector) return false;
    const auto& c = *connect_.connector;
    if (c.has(policy::AuthMechanism::basic) || c.has(policy::AuthMechanism::basic_require_tls)) return true;
    // `tls` alone: logins over TLS when the connector has a group for them.
    bool users_group = false;
    for (auto g : c.permission_groups) users_group = users_group || g == policy::PermissionGroup::users;
    return c.has(policy::AuthMechanism::tls) && users_group;
}

bool Session::auth_needs_tls() const { return !connect_.connector->has(policy::AuthMechanism::basic); }

asio::awaitable<Session::Flow> Session::on_starttls(const Command& c) {
    if (!c.argument.empty()) {
        co_return refuse(Reply{501, "5.5.4", "Syntax: STARTTLS"});
    }
    if (!shared_.tls) {
        co_return refuse(Reply{502, "5.5.1", "Error: command not implemented"});
    }
    if (io_.tls_active()) {
        co_return refuse(Reply{554, "5.5.1", "Error: TLS already active"});
    }
    reply(Reply{220, "2.0.0", "Ready to start TLS"});
    co_await flush();
    // RFC 3207 6: anything the client sent after STARTTLS in the clear is discarded, never read as
    // a command inside the TLS session (command injection, CVE-2011-0411).
    if (!reader_.empty()) log_event("discarding " + std::to_string(reader_.pending().size()) +
                                    " bytes sent after STARTTLS by " + client_text());
    reader_.clear();
    arm_timer(std::chrono::steady_clock::now() + std::chrono::seconds(connect_.connector->inactivity_timeout_s), false);
    if (auto failed = co_await io_.start_tls(*shared_.tls)) {
        // Postfix logs OpenSSL's reason too ("SSL_accept error ... no shared cipher"): without it an
        // admin cannot tell a client with old ciphers from one that distrusts our certificate.
        log_event("TLS handshake failed with " + client_text() + ": " + handshake_error_text(failed));
        last_code_ = 0;  // the 220 does not make the STARTTLS a success
        co_return Flow::close;
    }
    std::string ca_error;
    std::shared_ptr<X509_STORE> anchors;
    if (rules_->domain_security && !rules_->domain_security->ca_file.empty())
        anchors = shared_.trust_anchors.store_for(rules_->domain_security->ca_file, &ca_error);
    if (!ca_error.empty()) log_event("warning: " + ca_error + "; client certificates count as unverified");
    facts_.tls = certs::tls_facts(io_.ssl(), anchors.get());
    // RFC 3207 4.2: the session starts over: no HELO, no transaction, no login.
    greeted_ = false;
    esmtp_ = false;
    facts_.helo.clear();
    facts_.auth_login.reset();
    reset_transaction();
    std::string line = "TLS established with " + client_text() + ": " + facts_.tls->version + " " + facts_.tls->cipher;
    if (facts_.tls->cert)
        line += ", client certificate subject=\"" + facts_.tls->cert->subject + "\" " +
                (facts_.tls->cert->verified ? "verified" : "unverified");
    log_event(line);
    co_return Flow::proceed;
}

asio::awaitable<Session::Flow> Session::on_auth(const Command& c) {
    auto fail_syntax = [&](Reply r) -> Flow {
        reply(r);
        return too_many_errors() ? Flow::close : Flow::proceed;
    };
    if (!greeted_ || !esmtp_) co_return fail_syntax(Reply{503, "5.5.1", "Error: send EHLO first"});
    if (!auth_offered()) co_return fail_syntax(Reply{503, "5.5.1", "Error: authentication not enabled"});
    if (facts_.auth_login) co_return fail_syntax(Reply{503, "5.5.1", "Error: already authenticated"});
    if (tx_) co_return fail_syntax(Reply{503, "5.5.1", "Error: MAIL transaction in progress"});
    if (auth_needs_tls() && !io_.tls_active())
        co_return fail_syntax(Reply{538, "5.7.11", "Encryption required for requested authentication mechanism"});

    std::string mechanism = c.argument.substr(0, c.argument.find(' '));
    std::string initial = c.argument.size() > mechanism.size() ? c.argument.substr(mechanism.size() + 1) : "";
    for (auto& ch : mechanism) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (mechanism != "PLAIN" && mechanism != "LOGIN")
        co_return fail_syntax(Reply{504, "5.5.4", "Unrecognized authentication type"});

    // One client answer: the initial response, or a line after a 334 challenge. "*" cancels.
    auto answer = [&](std::string challenge) -> asio::awaitable<std::optional<std::string>> {
        reply(Reply{334, "", challenge});
        in_auth_ = true;
        auto line = co_await read_line();
        in_auth_ = false;
        co_return line;
    };
    std::string login, password;
    bool malformed = false, cancelled = false;
    if (mechanism == "PLAIN") {
        std::optional<std::string> response;
        if (!initial.empty()) response = initial == "=" ? std::string() : initial;
        else response = co_await answer("");
        if (!response) co_return Flow::close;
        if (*response == "*") cancelled = true;
        else if (auto decoded = base64_decode(*response); !decoded) malformed = true;
        else if (auto creds = parse_plain(*decoded); !creds || (!creds->authzid.empty() && creds->authzid != creds->authcid))
            malformed = true;
        else {
            login = creds->authcid;
            password = creds->password;
        }
    } else {
        std::optional<std::string> user_b64;
        if (!initial.empty()) user_b64 = initial;
        else user_b64 = co_await answer(base64_encode("Username:"));
        if (!user_b64) co_return Flow::close;
        if (*user_b64 == "*") cancelled = true;
        else if (auto user = base64_decode(*user_b64); !user || user->empty()) malformed = true;
        else {
            login = *user;
            auto pass_b64 = co_await answer(base64_encode("Password:"));
            if (!pass_b64) co_return Flow::close;
            if (*pass_b64 == "*") cancelled = true;
            else if (auto pass = base64_decode(*pass_b64); !pass) malformed = true;
            else password = *pass;
        }
    }
    if (cancelled) co_return fail_syntax(Reply{501, "5.7.0", "Authentication aborted"});
    if (malformed) co_return fail_syntax(Reply{501, "5.5.2", "Cannot decode response"});

    // crypt_r is slow on purpose: it runs on the blocking pool, never on an I/O thread.
    auto executor = co_await asio::this_coro::executor;
    std::optional<std::string> canonical =
        co_await async_check_password(*shared_.blocking_pool, shared_.users, login, std::move(password), asio::use_awaitable);
    bool ok = canonical.has_value();

    if (!ok || !canonical) {
        ++auth_failures_;
        // Postfix's shape; the password is never logged.
        log_event("warning: " + client_text() + ": SASL " + mechanism +
                  " authentication failed: sasl_username=" + log_field_text(login));
        asio::steady_timer wait(executor);
        wait.expires_after(auth_failure_delay * auth_failures_);
        co_await wait.async_wait(asio::use_awaitable);
        reply(Reply{535, "5.7.8", "Authentication credentials invalid"});
        if (auth_failures_ >= max_auth_failures) {
            reply(Reply{421, "4.7.0", rules_->organization.hostname + " Error: too many failed authentications"});
            co_return Flow::close;
        }
        co_return too_many_errors() ? Flow::close : Flow::proceed;
    }
    facts_.auth_login = *canonical;
    facts_.auth_mechanism = mechanism;
    log_event(client_text() + ": sasl_method=" + mechanism + ", sasl_username=" + log_field_text(*canonical));
    reply(Reply{235, "2.7.0", "Authentication successful"});
    co_return Flow::proceed;
}

}  // namespace mw::smtp::server
