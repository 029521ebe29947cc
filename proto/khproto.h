/* khproto.h — the khnet wire codec, shared by khnetd and libkhnet.
 *
 * What lives here: a request-scoped arena, a growable byte buffer, a
 * validating msgpack decoder into a read-only value tree, typed field readers
 * that name the failing field, a msgpack writer, and the JSON <-> msgpack
 * transcoding used at the HTTP edge.  No I/O and no global state: every
 * function is safe to call from any thread on its own objects.
 *
 * Ownership: values decoded by kp_decode()/kp_json_decode() live in the arena
 * passed in and may point into the input buffer (strings are not copied), so
 * the input must outlive the value tree.  kp_buf owns its bytes; free with
 * kp_buf_free().
 */
#ifndef KHPROTO_H
#define KHPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- arena --------------------------------------------------------------
 * Bump allocator made of chunks; everything is freed at once.  Allocations
 * are 16-byte aligned.  kp_arena_alloc returns NULL only when malloc fails. */
typedef struct kp_arena kp_arena;

kp_arena *kp_arena_new(size_t first_chunk); /* caller frees with kp_arena_free */
void kp_arena_free(kp_arena *a);
void kp_arena_reset(kp_arena *a); /* keeps the first chunk, drops the rest */
void *kp_arena_alloc(kp_arena *a, size_t n);
char *kp_arena_strndup(kp_arena *a, const char *s, size_t n); /* NUL-terminated */
size_t kp_arena_used(const kp_arena *a);
/* Fault injection (tests): the nth kp_arena_alloc from now returns NULL, as
 * if malloc had failed, once; n <= 0 turns it off, and so does a reset.  So
 * every out-of-memory branch that follows an arena allocation can be run. */
void kp_arena_fail_after(kp_arena *a, long n);

/* The thread's fault countdown (fault.c; fault-injection builds only): armed
 * with n, the nth allocation from now (arena, kp_buf growth, or a malloc
 * site that asks kp_fault_hit) fails, once.  kp_fault_disarm returns what
 * was left (0: disarmed, or already fired).  kp_fault_hit counts one
 * allocation at `site` (a static name: "arena", "buffer", ...) and says
 * whether to fail it; kp_fault_fired takes the site of the last failure
 * (NULL: none since the last take). */
#ifdef KHNET_FAULT_INJECTION
void kp_fault_arm(long n);
long kp_fault_disarm(void);
bool kp_fault_hit(const char *site);
const char *kp_fault_fired(void);
#else
static inline void kp_fault_arm(long n)
{
    (void)n;
}
static inline long kp_fault_disarm(void)
{
    return 0;
}
static inline bool kp_fault_hit(const char *site)
{
    (void)site;
    return false;
}
static inline const char *kp_fault_fired(void)
{
    return NULL;
}
#endif

/* ---- byte buffer -------------------------------------------------------- */
typedef struct kp_buf {
    uint8_t *data; /* heap bytes, owned */
    size_t len;    /* bytes in use */
    size_t cap;    /* bytes allocated */
    bool oom;      /* a growth failed; further appends are dropped */
} kp_buf;

void kp_buf_init(kp_buf *b);
void kp_buf_free(kp_buf *b);
void kp_buf_reset(kp_buf *b);                /* len = 0, keeps memory */
int kp_buf_reserve(kp_buf *b, size_t extra); /* 0 or -1 (sets oom) */
void kp_buf_append(kp_buf *b, const void *p, size_t n);
void kp_buf_appendf(kp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- value tree --------------------------------------------------------- */
typedef enum kp_type {
    KP_NIL,
    KP_BOOL,
    KP_INT,   /* fits int64_t */
    KP_UINT,  /* above INT64_MAX only */
    KP_FLOAT, /* float32 or float64, widened */
    KP_STR,   /* valid UTF-8, not NUL-terminated */
    KP_BIN,
    KP_ARRAY,
    KP_MAP, /* keys are strings (the protocol requires it), no duplicates */
    KP_EXT
} kp_type;

typedef struct kp_value kp_value;
typedef struct kp_pair kp_pair;

struct kp_value {
    kp_type type;
    union {
        bool b;
        int64_t i;
        uint64_t u;
        double f;
        struct {
            const char *ptr; /* points into the input or the arena */
            uint32_t len;    /* bytes */
        } s;                 /* KP_STR, KP_BIN, KP_EXT (ext_type below) */
        struct {
            kp_value *items;
            uint32_t n;
        } arr;
        struct {
            kp_pair *pairs; /* in input order */
            uint32_t n;
        } map;
    } v;
    int8_t ext_type; /* KP_EXT: the ext type.  KP_FLOAT: 32 when decoded from
                        a float32 (kp_w_value writes it back as float32), else 0 */
};

struct kp_pair {
    kp_value key; /* always KP_STR */
    kp_value val;
};

/* ---- errors -------------------------------------------------------------
 * One failure, for one request.  `code` is a stable snake_case string from
 * PROTOCOL.md (static storage); `field` is a dotted path ("degrees.2.year")
 * or empty; `message` is human text, safe to show to a client. */
typedef struct kp_err {
    const char *code;
    char field[128];
    char message[192];
} kp_err;

/* field may be NULL; field and message are cut to fit on a UTF-8 character
 * boundary.  e may be NULL (nothing happens). */
void kp_err_set(kp_err *e, const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The HTTP status of an error code: PROTOCOL.md's error table, kept in one
 * place (errors.c) so a caller names the code and the status follows.  0 for
 * a code not in the table (a bug: answer "internal"). */
int kp_error_status(const char *code);

/* ---- decoding limits ---------------------------------------------------- */
typedef struct kp_limits {
    uint32_t max_depth; /* nesting of arrays/maps; 1 = a flat map */
    uint32_t max_items; /* total values in the document (map keys count) */
    uint32_t max_str;   /* bytes in one string/bin */
    size_t max_total;   /* bytes in the document */
} kp_limits;

extern const kp_limits kp_default_limits; /* depth 16, 100k items, 1 MiB str, 4 MiB */

/* Decodes exactly one msgpack document filling [buf, buf+len).  Checks that
 * declared lengths fit the remaining input before allocating, that strings
 * are valid UTF-8, map keys are unique strings, depth and counts stay within
 * `lim`, and that no bytes trail.  Returns 0 and sets *out (arena-owned), or
 * -1 with `e` set (code "invalid_msgpack", "too_deep", "too_large",
 * "invalid_utf8", or "internal" when out of memory).  lim NULL means kp_default_limits.
 * Any value may be the top level; checking for a map is the caller's job. */
int kp_decode(kp_arena *a, const uint8_t *buf, size_t len, const kp_limits *lim, kp_value **out,
              kp_err *e);

/* Same contract for a JSON document (RFC 8259, UTF-8).  Codes:
 * "invalid_json", "too_deep", "too_large", "invalid_utf8".  Integers outside
 * int64 are rejected with "invalid_json" (jansson reads integers as int64, so
 * unlike msgpack, JSON cannot carry 2^63..2^64-1); strings are copied into the
 * arena (NUL-terminated) and \u0000 is refused. */
int kp_json_decode(kp_arena *a, const char *text, size_t len, const kp_limits *lim, kp_value **out,
                   kp_err *e);

/* Valid, shortest-form UTF-8 without surrogates or NUL?  */
bool kp_utf8_valid(const char *s, size_t n);
/* Number of code points in valid UTF-8. */
size_t kp_utf8_len(const char *s, size_t n);

/* ---- typed field readers ------------------------------------------------
 * `map` must be a KP_MAP (use kp_expect_map first).  Each reader returns
 *   1  found and valid (*out set),
 *   0  absent (or nil) and not required (*out untouched),
 *  -1  invalid, or absent but required: `e` names the field, code
 *      "missing_field" / "invalid_type" / "out_of_range" / "too_long" /
 *      "too_short" / "invalid_value".
 * Field names in errors are prefixed with whatever path the caller left in
 * e->field; a caller reading top-level keys leaves it empty.
 * So: zero-initialise the error (kp_err e = {0}); to read a nested map, put
 * its path in e->field first ("degrees.2") and errors name "degrees.2.year".
 * Strings from kp_get_str are not NUL-terminated: use *out_len (may be NULL).
 * Integer fields refuse floats, even integral ones ("invalid_type"). */
/* The value under key (nil included), or NULL when absent or map is not a map. */
const kp_value *kp_map_get(const kp_value *map, const char *key);
/* 0 when v is a map, else -1: "invalid_body" for the body itself (field NULL
 * or "" and no prefix in e->field), "invalid_type" for a named field. */
int kp_expect_map(const kp_value *v, const char *field, kp_err *e);
int kp_get_str(const kp_value *map, const char *key, bool required, uint32_t min_chars,
               uint32_t max_chars, const char **out, uint32_t *out_len, kp_err *e);
int kp_get_int(const kp_value *map, const char *key, bool required, int64_t min, int64_t max,
               int64_t *out, kp_err *e);
int kp_get_bool(const kp_value *map, const char *key, bool required, bool *out, kp_err *e);
int kp_get_array(const kp_value *map, const char *key, bool required, uint32_t max_items,
                 const kp_value **out, kp_err *e);
/* Rejects keys not in `allowed` (NULL-terminated) with code "unknown_field";
 * 0 when every key is allowed, else -1 naming the first unknown key. */
int kp_check_fields(const kp_value *map, const char *const *allowed, kp_err *e);

/* ---- msgpack writer -----------------------------------------------------
 * Appends to a kp_buf in the shortest msgpack form.  Errors (out of memory)
 * stick in b->oom and are checked once at the end. */
void kp_w_nil(kp_buf *b);
void kp_w_bool(kp_buf *b, bool v);
void kp_w_int(kp_buf *b, int64_t v);
void kp_w_uint(kp_buf *b, uint64_t v);
void kp_w_double(kp_buf *b, double v); /* always float64 */
void kp_w_str(kp_buf *b, const char *s, size_t n);
void kp_w_cstr(kp_buf *b, const char *s);
void kp_w_bin(kp_buf *b, const void *p, size_t n);
void kp_w_array(kp_buf *b, uint32_t n);
void kp_w_map(kp_buf *b, uint32_t n);
void kp_w_value(kp_buf *b, const kp_value *v); /* re-encodes a decoded tree */
/* The error body of PROTOCOL.md: {error: {code, message, field?}}. */
void kp_w_error(kp_buf *b, const char *code, const char *message, const char *field);

/* ---- transcoding -------------------------------------------------------- */
/* Writes `v` as compact JSON.  bin/ext become base64 strings; floats that are
 * not finite become null. */
void kp_json_write(kp_buf *out, const kp_value *v);
/* A JSON object straight to msgpack (no tree), byte for byte what
 * kp_json_decode + kp_w_value write for it: 0, or KP_JSON_FALLBACK with
 * `out` as it was when the text is anything it does not take (not an object,
 * invalid, over `lim`, a duplicate key, an object of more than 64 keys...):
 * decode it with kp_json_decode then, for the exact answer or error.
 * `top` (may be NULL) takes over top-level pairs: for a key top->wants,
 * the value is decoded alone into top->arena and top->put writes the pair
 * (one key, one value) in its place. */
typedef struct kp_json_top {
    bool (*wants)(const char *key, size_t n, void *data);
    void (*put)(kp_buf *b, const char *key, size_t n, const kp_value *val, void *data);
    void *data;      /* for wants and put */
    kp_arena *arena; /* the taken values and keys */
} kp_json_top;
enum { KP_JSON_FALLBACK = 1 };
int kp_json_transcode(kp_buf *out, const char *text, size_t len, const kp_limits *lim,
                      const kp_json_top *top);
/* Decodes msgpack and writes it as JSON; -1 with `e` set on invalid input. */
int kp_msgpack_to_json(kp_arena *a, const uint8_t *buf, size_t len, kp_buf *out, kp_err *e);

#ifdef __cplusplus
}
#endif
#endif
