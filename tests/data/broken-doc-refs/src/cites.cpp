// A file of the doc-refs test: the first comment cites what exists, the others what does not.
// README "Replies" is fine.
// See RULES.md "Replies" for the contract.
// README "Headers" says so.
const char* text = "RULES.md in a string literal is not a citation";
