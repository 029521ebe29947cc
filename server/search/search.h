/* search.h — pure helpers of expert search (server/api/search/search.c): the
 * keyset cursor of a ranked result, and the input checks that need no
 * database.  Folding, query parsing, ranking and highlighting live in SQL
 * (migrations/0004_search.sql), in one place, so the index and the query
 * can never fold differently.  No I/O, no state: safe from any thread. */
#ifndef KHNET_SEARCH_H
#define KHNET_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Sorts, as on the wire. */
typedef enum search_sort { SEARCH_RELEVANCE, SEARCH_EXPERIENCE, SEARCH_RECENT } search_sort;

/* "relevance" | "experience" | "recent" → 0 and *out, else -1. */
int search_sort_parse(const char *s, size_t n, search_sort *out);
const char *search_sort_name(search_sort s);

/* A cursor is the last hit's sort key and id, tagged with the sort (a
 * cursor from another sort is refused) and checksummed (a damaged or edited
 * one is refused).  Relevance keys are the float4 score, the others
 * integers (years, or updated_at in microseconds). */
enum { SEARCH_CURSOR_LEN = 30 }; /* base64url chars of the 22 raw bytes */

typedef struct search_key {
    search_sort sort; /* the sort it continues */
    double score;     /* SEARCH_RELEVANCE */
    int64_t k;        /* the others */
    int64_t id;       /* the last hit's profile id, > 0 */
} search_key;

/* Parses the database's "key|id" text for `sort` into *out; 0 or -1. */
int search_key_parse(const char *text, search_sort sort, search_key *out);
/* Writes SEARCH_CURSOR_LEN chars and a NUL (cap >= 31). */
void search_cursor_encode(const search_key *key, char *out, size_t cap);
/* 0 and *out on a well-formed cursor, else -1. */
int search_cursor_decode(const char *s, size_t n, search_key *out);
/* The key as the SQL parameter text ("0.0607927" or "42"), into buf. */
void search_key_text(const search_key *key, char *buf, size_t cap);

/* RFC 3339 date-time ("2026-01-01T00:00:00Z", fraction and offset
 * allowed), fields in range. */
bool search_rfc3339_valid(const char *s, size_t n);
/* Every byte in `set`, length within [min, max]. */
bool search_chars_valid(const char *s, size_t n, const char *set, size_t min, size_t max);

#endif
