/*
 * lexer.h: splits a template into text and the tokens of its {{ }} and
 * {% %} tags, one token at a time.  {# #} comments are dropped; "-" inside
 * a delimiter ({{- ... -}}) strips the whitespace next to it.
 */
#ifndef PIPELIT_EXPR_LEXER_H
#define PIPELIT_EXPR_LEXER_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

enum tok_kind {
	T_EOF,
	T_ERROR, /* message in the lexer */
	T_TEXT,
	T_VAR_BEGIN,
	T_VAR_END,
	T_BLOCK_BEGIN,
	T_BLOCK_END,
	T_NAME,
	T_STRING,
	T_INT,
	T_FLOAT,
	T_OP,
};

enum tok_op {
	OP_NONE,
	OP_ADD,
	OP_SUB,
	OP_MUL,
	OP_DIV,
	OP_FLOORDIV,
	OP_MOD,
	OP_POW,
	OP_TILDE,
	OP_DOT,
	OP_COMMA,
	OP_COLON,
	OP_PIPE,
	OP_LPAREN,
	OP_RPAREN,
	OP_LBRACKET,
	OP_RBRACKET,
	OP_LBRACE,
	OP_RBRACE,
	OP_EQ,
	OP_NE,
	OP_LT,
	OP_LE,
	OP_GT,
	OP_GE,
	OP_ASSIGN,
	/* not lexed: the parser's codes for word operators */
	OP_IN,
	OP_NOT_IN,
};

struct token {
	enum tok_kind kind;
	size_t offset;	   /* where it starts in the template */
	const char *start; /* T_TEXT, T_NAME: the bytes in the template */
	size_t len;
	enum tok_op op;	   /* T_OP */
	json_int_t ival;   /* T_INT */
	double fval;	   /* T_FLOAT */
	char *sval;	   /* T_STRING: decoded, owned by the token */
	size_t slen;
};

struct lexer {
	const char *src;
	size_t len;
	size_t pos;
	enum { LX_TEXT, LX_VAR, LX_BLOCK } mode;
	bool lstrip_next; /* the last tag ended with "-" */
	unsigned brackets; /* open ( [ { inside the tag */
	char message[200]; /* T_ERROR */
};

void lexer_init(struct lexer *lx, const char *src, size_t len);
/* The next token; a T_STRING's sval is the caller's to free (token_free). */
void lexer_next(struct lexer *lx, struct token *t);
void token_free(struct token *t);
/* Is t the name word? */
bool token_is_name(const struct token *t, const char *word);

#endif
