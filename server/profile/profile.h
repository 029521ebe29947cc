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

#endif
