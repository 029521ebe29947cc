/* profile.h — pure helpers of the profile directory: ORCID iD checksums
 * and the directory's keyset cursors.  No I/O, no state: unit-testable and
 * safe from any thread.  The rules mirror migrations/0003_profiles.sql. */
#ifndef KHNET_PROFILE_H
#define KHNET_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "khproto.h"

/* Is s[0..n) an ORCID iD ("0000-0002-1825-0097": four groups of four, the
 * last character a digit or X) whose check character is right (ISO 7064
 * MOD 11-2)? */
bool profile_orcid_valid(const char *s, size_t n);

/* A directory cursor is the last account id of a page, with a version byte
 * and a checksum so a damaged or edited cursor is refused rather than
 * silently starting elsewhere.  It is an integrity check, not a secret: a
 * forged cursor only moves the start of a listing the caller may read. */
enum { PROFILE_CURSOR_LEN = 18 }; /* base64url chars, no padding */

/* Writes PROFILE_CURSOR_LEN chars and a NUL into out (cap >= 19). */
void profile_cursor_encode(int64_t last_id, char *out, size_t cap);
/* 0 and *last_id on a well-formed cursor with a positive id, else -1. */
int profile_cursor_decode(const char *s, size_t n, int64_t *last_id);

/* Formats checked without the database (validate.c). */
bool profile_country_valid(const char *s, size_t n); /* ISO 3166-1 alpha-2, assigned */
bool profile_bcp47_valid(const char *s, size_t n);   /* RFC 5646 well-formed, <= 35 bytes */
bool profile_doi_valid(const char *s, size_t n);     /* "10.NNNN/suffix" */
bool profile_url_valid(const char *s, size_t n);     /* absolute http(s), <= 2048 bytes */

/* What a profile write may carry: PATCH (partial; `version` required),
 * CREATE (full_name required) or IMPORT (also external_id and email). */
typedef enum profile_mode { PROFILE_PATCH, PROFILE_CREATE, PROFILE_IMPORT } profile_mode;

/* Validates a request map field by field (PROTOCOL.md "Profiles") and
 * writes the accepted fields, normalised, as one msgpack map to `out`
 * (version excluded; *version set for PATCH).  Degree years run to
 * year_now.  0, or -1 with e naming the failing field.  Sector existence,
 * time zone existence and keyword lower-casing are left to SQL. */
int profile_validate(const kp_value *body, profile_mode mode, int year_now, kp_buf *out,
                     int64_t *version, kp_err *e);

/* ---- bulk import (import.c) ---------------------------------------------
 * A file is read row by row; each row goes through profile_validate in
 * PROFILE_IMPORT mode.  Accepted rows become one JSON array for
 * khnet_profiles_import (migrations/repeatable/80_data_rights.sql):
 * [{"line": N, "p": {fields}}]. */
typedef enum profile_format { PROFILE_JSONL, PROFILE_CSV } profile_format;

typedef struct profile_reject {
    int line;          /* 1-based line of the row (CSV: where its record starts) */
    const char *code;  /* PROTOCOL.md error code, static */
    char field[128];   /* dotted path, or "" for the whole row */
    char message[192]; /* for people */
} profile_reject;

typedef struct profile_import {
    kp_buf rows;             /* the accepted rows as a JSON array (owned) */
    int accepted;            /* rows in `rows` */
    profile_reject *rejects; /* malloc: rows refused, in line order */
    size_t nrejected;        /* entries in rejects */
    size_t cap;              /* allocated entries */
} profile_import;

/* Reads data[0..len) (a leading UTF-8 BOM is skipped).  0 with imp filled
 * (free it with profile_import_free, also after -1), or -1 with e set when
 * the file as a whole is unusable (CSV: no header, an unknown or repeated
 * column; out of memory: code "internal"). */
int profile_import_parse(const char *data, size_t len, profile_format fmt, int year_now,
                         profile_import *imp, kp_err *e);
void profile_import_free(profile_import *imp);

/* Writes the report map (PROTOCOL.md "Bulk import") to out: imported,
 * accepted, created, updated, rejected_count and up to 1000 rejections,
 * merging the server's (imp) and the database's (sql_rejected: the
 * function's `rejected` array decoded, or NULL) in line order. */
void profile_import_report(kp_buf *out, const profile_import *imp, const kp_value *sql_rejected,
                           int created, int updated);
/* The report from khnet_profiles_import's answer: `body`, its one-shape
 * row's ok body decoded ({rejected, created, updated}), through
 * profile_import_report.  Both POST /v1/profiles/import and `khnetd import
 * profiles` read the function through this.  The number of rows the
 * database refused, or -1 (nothing written) when body is not that map. */
int profile_import_report_row(kp_buf *out, const profile_import *imp, const kp_value *body);

#endif
