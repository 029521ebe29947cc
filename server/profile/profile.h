/* profile.h — pure helpers of the profile directory: ORCID iD checksums
 * and the directory's keyset cursors.  No I/O, no state: unit-testable and
 * safe from any thread.  The rules mirror migrations/0003_profiles.sql. */
#ifndef KHNET_PROFILE_H
#define KHNET_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

#endif
