/* lexer.c: template text and tag tokens. */
#include "expr/lexer.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr/value.h"
#include "util/xalloc.h"

void
lexer_init(struct lexer *lx, const char *src, size_t len)
{
	memset(lx, 0, sizeof *lx);
	lx->src = src;
	lx->len = len;
	lx->mode = LX_TEXT;
}

void
token_free(struct token *t)
{
	free(t->sval);
	t->sval = NULL;
}

bool
token_is_name(const struct token *t, const char *word)
{
	size_t n = strlen(word);
	return t->kind == T_NAME && t->len == n && memcmp(t->start, word, n) == 0;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void
lex_error(struct lexer *lx, struct token *t, size_t offset, const char *msg)
{
	snprintf(lx->message, sizeof lx->message, "%s", msg);
	t->kind = T_ERROR;
	t->offset = offset;
	lx->pos = lx->len; /* nothing after an error */
}

/* The offset of the next "{{", "{%" or "{#" at or after from; len if none. */
static size_t
find_opener(const struct lexer *lx, size_t from)
{
	for (size_t i = from; i + 1 < lx->len; i++)
		if (lx->src[i] == '{' &&
		    (lx->src[i + 1] == '{' || lx->src[i + 1] == '%' || lx->src[i + 1] == '#'))
			return i;
	return lx->len;
}

static void
lex_text(struct lexer *lx, struct token *t)
{
	for (;;) {
		if (lx->lstrip_next) {
			while (lx->pos < lx->len && is_space(lx->src[lx->pos]))
				lx->pos++;
			lx->lstrip_next = false;
		}
		if (lx->pos >= lx->len) {
			t->kind = T_EOF;
			t->offset = lx->len;
			return;
		}
		size_t open = find_opener(lx, lx->pos);
		size_t end = open;
		if (open + 2 < lx->len && lx->src[open + 2] == '-')
			while (end > lx->pos && is_space(lx->src[end - 1]))
				end--;
		if (end > lx->pos) {
			t->kind = T_TEXT;
			t->offset = lx->pos;
			t->start = lx->src + lx->pos;
			t->len = end - lx->pos;
			lx->pos = open;
			return;
		}
		lx->pos = open;
		if (open >= lx->len)
			continue;
		char kind = lx->src[open + 1];
		lx->pos = open + 2;
		if (lx->pos < lx->len && (lx->src[lx->pos] == '-' || lx->src[lx->pos] == '+'))
			lx->pos++;
		if (kind == '#') {
			size_t i = lx->pos;
			while (i + 1 < lx->len && !(lx->src[i] == '#' && lx->src[i + 1] == '}'))
				i++;
			if (i + 1 >= lx->len) {
				lex_error(lx, t, open, "unterminated comment: missing '#}'");
				return;
			}
			if (i > lx->pos && lx->src[i - 1] == '-')
				lx->lstrip_next = true;
			lx->pos = i + 2;
			continue;
		}
		lx->mode = kind == '{' ? LX_VAR : LX_BLOCK;
		lx->brackets = 0;
		t->kind = kind == '{' ? T_VAR_BEGIN : T_BLOCK_BEGIN;
		t->offset = open;
		return;
	}
}

/* Does the tag's closing delimiter start at pos?  Sets *dash for "-}}". */
static size_t
closer_len(const struct lexer *lx, bool *dash)
{
	char c = lx->mode == LX_VAR ? '}' : '%';
	size_t p = lx->pos;
	*dash = false;
	if (p < lx->len && (lx->src[p] == '-' || lx->src[p] == '+')) {
		*dash = lx->src[p] == '-';
		p++;
	}
	if (p + 1 < lx->len && lx->src[p] == c && lx->src[p + 1] == '}')
		return p + 2 - lx->pos;
	*dash = false;
	return 0;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A quoted string with Python's escapes.  Returns false on an error. */
static bool
lex_string(struct lexer *lx, struct token *t)
{
	char quote = lx->src[lx->pos];
	size_t start = lx->pos++;
	char *buf = xmalloc(lx->len - start + 1); /* decoding never lengthens */
	size_t n = 0;
	while (lx->pos < lx->len && lx->src[lx->pos] != quote) {
		char c = lx->src[lx->pos++];
		if (c != '\\') {
			buf[n++] = c;
			continue;
		}
		if (lx->pos >= lx->len)
			break;
		char e = lx->src[lx->pos++];
		int digits = 0;
		switch (e) {
		case 'n': buf[n++] = '\n'; break;
		case 't': buf[n++] = '\t'; break;
		case 'r': buf[n++] = '\r'; break;
		case 'a': buf[n++] = '\a'; break;
		case 'b': buf[n++] = '\b'; break;
		case 'f': buf[n++] = '\f'; break;
		case 'v': buf[n++] = '\v'; break;
		case '\\': case '\'': case '"': buf[n++] = e; break;
		case '\n': break; /* a backslash before a newline joins the lines */
		case 'x': digits = 2; break;
		case 'u': digits = 4; break;
		case 'U': digits = 8; break;
		default:
			if (e >= '0' && e <= '7') {
				unsigned long cp = (unsigned long)(e - '0');
				for (int k = 0; k < 2 && lx->pos < lx->len && lx->src[lx->pos] >= '0' &&
						lx->src[lx->pos] <= '7'; k++)
					cp = cp * 8 + (unsigned long)(lx->src[lx->pos++] - '0');
				n += utf8_encode(cp, buf + n);
			} else {
				/* Python keeps an unknown escape as it is. */
				buf[n++] = '\\';
				buf[n++] = e;
			}
		}
		if (digits) {
			unsigned long cp = 0;
			for (int k = 0; k < digits; k++) {
				int h = lx->pos < lx->len ? hex_value(lx->src[lx->pos]) : -1;
				if (h < 0) {
					free(buf);
					lex_error(lx, t, lx->pos, "truncated \\x, \\u or \\U escape in a string");
					return false;
				}
				cp = cp * 16 + (unsigned long)h;
				lx->pos++;
			}
			if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
				free(buf);
				lex_error(lx, t, lx->pos, "escape is not a valid character");
				return false;
			}
			n += utf8_encode(cp, buf + n);
		}
	}
	if (lx->pos >= lx->len) {
		free(buf);
		lex_error(lx, t, start, "unterminated string");
		return false;
	}
	lx->pos++;
	buf[n] = '\0';
	t->kind = T_STRING;
	t->offset = start;
	t->sval = buf;
	t->slen = n;
	return true;
}

static void
lex_number(struct lexer *lx, struct token *t)
{
	size_t start = lx->pos;
	char buf[128];
	size_t n = 0;
	bool is_float = false;
	const char *s = lx->src;
	while (lx->pos < lx->len && (isdigit((unsigned char)s[lx->pos]) || s[lx->pos] == '_')) {
		if (s[lx->pos] != '_' && n < sizeof buf - 1)
			buf[n++] = s[lx->pos];
		lx->pos++;
	}
	if (lx->pos + 1 < lx->len && s[lx->pos] == '.' && isdigit((unsigned char)s[lx->pos + 1])) {
		is_float = true;
		buf[n < sizeof buf - 1 ? n++ : n] = '.';
		lx->pos++;
		while (lx->pos < lx->len && (isdigit((unsigned char)s[lx->pos]) || s[lx->pos] == '_')) {
			if (s[lx->pos] != '_' && n < sizeof buf - 1)
				buf[n++] = s[lx->pos];
			lx->pos++;
		}
	}
	if (lx->pos < lx->len && (s[lx->pos] == 'e' || s[lx->pos] == 'E')) {
		size_t p = lx->pos + 1;
		if (p < lx->len && (s[p] == '+' || s[p] == '-'))
			p++;
		if (p < lx->len && isdigit((unsigned char)s[p])) {
			is_float = true;
			if (n < sizeof buf - 1)
				buf[n++] = 'e';
			for (size_t q = lx->pos + 1; q < p; q++)
				if (n < sizeof buf - 1)
					buf[n++] = s[q];
			lx->pos = p;
			while (lx->pos < lx->len && isdigit((unsigned char)s[lx->pos])) {
				if (n < sizeof buf - 1)
					buf[n++] = s[lx->pos];
				lx->pos++;
			}
		}
	}
	buf[n] = '\0';
	if (n >= sizeof buf - 1) {
		lex_error(lx, t, start, "number literal too long");
		return;
	}
	t->offset = start;
	errno = 0;
	if (is_float) {
		t->kind = T_FLOAT;
		t->fval = strtod(buf, NULL);
		if (errno == ERANGE && (t->fval > 1 || t->fval < -1)) {
			lex_error(lx, t, start, "float literal out of range");
			return;
		}
	} else {
		t->kind = T_INT;
		t->ival = strtoll(buf, NULL, 10);
		if (errno == ERANGE) {
			lex_error(lx, t, start, "integer literal out of range");
			return;
		}
	}
}

static const struct {
	const char *text;
	enum tok_op op;
} ops[] = {
	{"//", OP_FLOORDIV}, {"**", OP_POW}, {"==", OP_EQ}, {"!=", OP_NE}, {"<=", OP_LE},
	{">=", OP_GE},	     {"+", OP_ADD},  {"-", OP_SUB}, {"*", OP_MUL},  {"/", OP_DIV},
	{"%", OP_MOD},	     {"~", OP_TILDE}, {".", OP_DOT}, {",", OP_COMMA}, {":", OP_COLON},
	{"|", OP_PIPE},	     {"(", OP_LPAREN}, {")", OP_RPAREN}, {"[", OP_LBRACKET},
	{"]", OP_RBRACKET},  {"{", OP_LBRACE}, {"}", OP_RBRACE}, {"<", OP_LT}, {">", OP_GT},
	{"=", OP_ASSIGN},
};

static void
lex_tag(struct lexer *lx, struct token *t)
{
	const char *s = lx->src;
	while (lx->pos < lx->len && is_space(s[lx->pos]))
		lx->pos++;
	if (lx->pos >= lx->len) {
		lex_error(lx, t, lx->len,
			  lx->mode == LX_VAR ? "unexpected end of template, expected '}}'"
					     : "unexpected end of template, expected '%}'");
		return;
	}
	/* Inside brackets "}}" closes a dict literal, not the tag (as Jinja). */
	bool dash;
	size_t cl = lx->brackets == 0 ? closer_len(lx, &dash) : 0;
	if (cl) {
		t->kind = lx->mode == LX_VAR ? T_VAR_END : T_BLOCK_END;
		t->offset = lx->pos;
		lx->pos += cl;
		lx->mode = LX_TEXT;
		lx->lstrip_next = dash;
		return;
	}
	char c = s[lx->pos];
	if (isalpha((unsigned char)c) || c == '_') {
		size_t start = lx->pos;
		while (lx->pos < lx->len && (isalnum((unsigned char)s[lx->pos]) || s[lx->pos] == '_'))
			lx->pos++;
		t->kind = T_NAME;
		t->offset = start;
		t->start = s + start;
		t->len = lx->pos - start;
		return;
	}
	if (isdigit((unsigned char)c)) {
		lex_number(lx, t);
		return;
	}
	if (c == '\'' || c == '"') {
		lex_string(lx, t);
		return;
	}
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		size_t n = strlen(ops[i].text);
		if (lx->pos + n <= lx->len && memcmp(s + lx->pos, ops[i].text, n) == 0) {
			t->kind = T_OP;
			t->op = ops[i].op;
			t->offset = lx->pos;
			lx->pos += n;
			if (t->op == OP_LPAREN || t->op == OP_LBRACKET || t->op == OP_LBRACE)
				lx->brackets++;
			else if ((t->op == OP_RPAREN || t->op == OP_RBRACKET || t->op == OP_RBRACE) &&
				 lx->brackets > 0)
				lx->brackets--;
			return;
		}
	}
	char msg[64];
	if (isprint((unsigned char)c))
		snprintf(msg, sizeof msg, "unexpected character '%c'", c);
	else
		snprintf(msg, sizeof msg, "unexpected byte 0x%02x", (unsigned char)c);
	lex_error(lx, t, lx->pos, msg);
}

void
lexer_next(struct lexer *lx, struct token *t)
{
	memset(t, 0, sizeof *t);
	if (lx->mode == LX_TEXT)
		lex_text(lx, t);
	else
		lex_tag(lx, t);
}
