/* decode.c — kp_decode, our own I/O-free msgpack parser.
 *
 * Why not msgpack-c's unpacker: it allocates the declared size of an array
 * or map before looking at the input, so a 5-byte body can ask for
 * gigabytes.  Here every declared count is checked against the bytes that
 * remain (each element needs at least one byte, each map pair two) and
 * against the item limit before anything is allocated, so memory stays
 * proportional to the input.
 *
 * The parser is iterative: open containers sit on an explicit stack, so a
 * hostile nesting depth costs arena memory (bounded by max_depth), never C
 * stack.  Strings and bins point into the input; nothing is copied. */
#include "khproto.h"

#include <stdlib.h>
#include <string.h>

#define LOCAL_FRAMES 32 /* enough for the default depth without allocating */
#define LINEAR_DUP_MAX 16

typedef struct frame {
    kp_value *v;   /* the open array or map */
    uint64_t next; /* next slot: array index, or 2*pair (+1 for the value) */
    uint64_t n;    /* slots in total (2 per map pair) */
} frame;

typedef struct keyref { /* a map key, for sorting */
    const char *p;
    uint32_t n;
} keyref;

typedef struct dec {
    kp_arena *a;
    const uint8_t *start, *p, *end;
    const kp_limits *lim;
    kp_err *e;
    uint64_t items;      /* values decoded so far, map keys included */
    frame *stack;        /* open containers, innermost last */
    uint32_t depth, cap; /* frames in use / allocated */
    keyref *keys;        /* scratch for duplicate-key checks of big maps */
    uint32_t keys_cap;
} dec;

static int fail(dec *d, const char *code, const char *msg)
{
    kp_err_set(d->e, code, NULL, "%s at byte %zu", msg, (size_t)(d->p - d->start));
    return -1;
}

static int truncated(dec *d)
{
    return fail(d, "invalid_msgpack", "truncated input");
}

static int oom(dec *d)
{
    kp_err_set(d->e, "internal", NULL, "out of memory while decoding");
    return -1;
}

static size_t remaining(const dec *d)
{
    return (size_t)(d->end - d->p);
}

/* Reads an n-byte big-endian unsigned integer (n <= 8). */
static int read_be(dec *d, size_t n, uint64_t *out)
{
    if (remaining(d) < n) return truncated(d);
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | d->p[i];
    d->p += n;
    *out = v;
    return 0;
}

/* Points v at the next len bytes (str, bin or ext payload). */
static int take_bytes(dec *d, kp_value *v, kp_type t, uint64_t len)
{
    if (remaining(d) < len) return fail(d, "invalid_msgpack", "declared length exceeds input");
    if (len > d->lim->max_str) return fail(d, "too_large", "string or binary longer than allowed");
    if (t == KP_STR && !kp_utf8_valid((const char *)d->p, (size_t)len))
        return fail(d, "invalid_utf8", "string is not valid UTF-8");
    v->type = t;
    v->v.s.ptr = (const char *)d->p;
    v->v.s.len = (uint32_t)len;
    d->p += len;
    return 0;
}

static int take_ext(dec *d, kp_value *v, uint64_t len)
{
    if (remaining(d) < 1) return truncated(d);
    int8_t type = (int8_t)*d->p++;
    if (take_bytes(d, v, KP_EXT, len) < 0) return -1;
    v->ext_type = type;
    return 0;
}

static int take_float(dec *d, kp_value *v, bool wide)
{
    uint64_t bits;
    if (read_be(d, wide ? 8 : 4, &bits) < 0) return -1;
    v->type = KP_FLOAT;
    if (wide) {
        memcpy(&v->v.f, &bits, sizeof v->v.f);
        v->ext_type = 0;
    } else {
        uint32_t b32 = (uint32_t)bits;
        float f;
        memcpy(&f, &b32, sizeof f);
        v->v.f = f;
        v->ext_type = 32; /* so kp_w_value writes it back as float32 */
    }
    return 0;
}

static int take_uint(dec *d, kp_value *v, size_t n)
{
    uint64_t u;
    if (read_be(d, n, &u) < 0) return -1;
    if (u > INT64_MAX) {
        v->type = KP_UINT;
        v->v.u = u;
    } else {
        v->type = KP_INT;
        v->v.i = (int64_t)u;
    }
    return 0;
}

static int take_int(dec *d, kp_value *v, size_t n)
{
    uint64_t u;
    if (read_be(d, n, &u) < 0) return -1;
    v->type = KP_INT;
    if (n == 8) {
        v->v.i = (int64_t)u; /* two's complement, as GCC and Clang define it */
    } else {
        /* sign-extend an n-byte value: subtract 2^(8n) when its top bit is set */
        int64_t x = (int64_t)u;
        if (u >> (8 * n - 1)) x -= (int64_t)1 << (8 * n);
        v->v.i = x;
    }
    return 0;
}

static int push(dec *d, kp_value *v, uint64_t slots)
{
    if (d->depth == d->cap) {
        /* Deeper than the local frames: grow on the arena (max_depth bounds it). */
        frame *bigger = kp_arena_alloc(d->a, (size_t)d->cap * 2 * sizeof *bigger);
        if (!bigger) return oom(d);
        memcpy(bigger, d->stack, d->depth * sizeof *bigger);
        d->stack = bigger;
        d->cap *= 2;
    }
    d->stack[d->depth++] = (frame){.v = v, .next = 0, .n = slots};
    return 0;
}

static int open_container(dec *d, kp_value *v, bool is_map, uint64_t n)
{
    uint64_t slots = is_map ? 2 * n : n;
    if (d->depth >= d->lim->max_depth) return fail(d, "too_deep", "nesting deeper than allowed");
    /* Each element needs at least one byte: checked before allocating. */
    if (slots > remaining(d)) return fail(d, "invalid_msgpack", "declared length exceeds input");
    if (slots > d->lim->max_items || d->items + slots > d->lim->max_items)
        return fail(d, "too_large", "too many values");
    size_t size = is_map ? sizeof(kp_pair) : sizeof(kp_value);
    void *items = NULL;
    if (n > 0) {
        if (n > SIZE_MAX / size) return oom(d);
        items = kp_arena_alloc(d->a, (size_t)n * size);
        if (!items) return oom(d);
    }
    if (is_map) {
        v->type = KP_MAP;
        v->v.map.pairs = items;
        v->v.map.n = (uint32_t)n;
    } else {
        v->type = KP_ARRAY;
        v->v.arr.items = items;
        v->v.arr.n = (uint32_t)n;
    }
    return n > 0 ? push(d, v, slots) : 0;
}

static keyref ref(const kp_value *k)
{
    return (keyref){.p = k->v.s.ptr, .n = k->v.s.len};
}

/* Orders by length first: cheaper than memcmp, and enough for equality. */
static int cmp_keys(const void *x, const void *y)
{
    const keyref *a = x, *b = y;
    if (a->n != b->n) return a->n < b->n ? -1 : 1;
    return a->n ? memcmp(a->p, b->p, a->n) : 0;
}

static int dup_key(dec *d, keyref k)
{
    /* quote at most ~60 bytes of the key, cut on a character boundary */
    uint32_t n = k.n < 60 ? k.n : 60;
    while (n > 0 && n < k.n && ((unsigned char)k.p[n] & 0xC0) == 0x80)
        n--;
    kp_err_set(d->e, "invalid_msgpack", NULL, "duplicate map key \"%.*s\"%s", (int)n, k.p,
               n < k.n ? "..." : "");
    return -1;
}

/* Small maps: pairwise, cheaper than sorting.  Big maps: sort (pointer,
 * length) references to the keys in a reused arena scratch array, then
 * compare neighbours, so a 100k-key map costs O(n log n), not O(n^2). */
static int check_dups(dec *d, const kp_value *map)
{
    const kp_pair *pr = map->v.map.pairs;
    uint32_t n = map->v.map.n;
    if (n <= LINEAR_DUP_MAX) {
        for (uint32_t i = 1; i < n; i++) {
            keyref ki = ref(&pr[i].key);
            for (uint32_t j = 0; j < i; j++) {
                keyref kj = ref(&pr[j].key);
                if (cmp_keys(&ki, &kj) == 0) return dup_key(d, ki);
            }
        }
        return 0;
    }
    if (n > d->keys_cap) {
        d->keys = kp_arena_alloc(d->a, (size_t)n * sizeof *d->keys);
        if (!d->keys) return oom(d);
        d->keys_cap = n;
    }
    for (uint32_t i = 0; i < n; i++)
        d->keys[i] = ref(&pr[i].key);
    qsort(d->keys, n, sizeof *d->keys, cmp_keys);
    for (uint32_t i = 1; i < n; i++)
        if (cmp_keys(&d->keys[i - 1], &d->keys[i]) == 0) return dup_key(d, d->keys[i]);
    return 0;
}

static bool is_str_header(uint8_t c)
{
    return (c >= 0xa0 && c <= 0xbf) || (c >= 0xd9 && c <= 0xdb);
}

/* Header bytes 0xc0..0xdf other than the fix* ranges. */
static int read_typed(dec *d, kp_value *v, uint8_t c)
{
    uint64_t n;
    switch (c) {
    case 0xc0:
        v->type = KP_NIL;
        return 0;
    case 0xc2:
    case 0xc3:
        v->type = KP_BOOL;
        v->v.b = c == 0xc3;
        return 0;
    case 0xc4:
    case 0xc5:
    case 0xc6:
        return read_be(d, (size_t)1 << (c - 0xc4), &n) < 0 ? -1 : take_bytes(d, v, KP_BIN, n);
    case 0xc7:
    case 0xc8:
    case 0xc9:
        return read_be(d, (size_t)1 << (c - 0xc7), &n) < 0 ? -1 : take_ext(d, v, n);
    case 0xca:
    case 0xcb:
        return take_float(d, v, c == 0xcb);
    case 0xcc:
    case 0xcd:
    case 0xce:
    case 0xcf:
        return take_uint(d, v, (size_t)1 << (c - 0xcc));
    case 0xd0:
    case 0xd1:
    case 0xd2:
    case 0xd3:
        return take_int(d, v, (size_t)1 << (c - 0xd0));
    case 0xd4:
    case 0xd5:
    case 0xd6:
    case 0xd7:
    case 0xd8:
        return take_ext(d, v, (uint64_t)1 << (c - 0xd4));
    case 0xd9:
    case 0xda:
    case 0xdb:
        return read_be(d, (size_t)1 << (c - 0xd9), &n) < 0 ? -1 : take_bytes(d, v, KP_STR, n);
    case 0xdc:
    case 0xdd:
        return read_be(d, (size_t)2 << (c - 0xdc), &n) < 0 ? -1 : open_container(d, v, false, n);
    case 0xde:
    case 0xdf:
        return read_be(d, (size_t)2 << (c - 0xde), &n) < 0 ? -1 : open_container(d, v, true, n);
    default:
        return fail(d, "invalid_msgpack", "reserved type byte 0xc1");
    }
}

/* Decodes one value's header (and a scalar's payload) into v.  Containers
 * are only opened here; their elements come through next_slot(). */
static int read_value(dec *d, kp_value *v, bool is_key)
{
    if (remaining(d) == 0) return truncated(d);
    if (++d->items > d->lim->max_items) return fail(d, "too_large", "too many values");
    uint8_t c = *d->p;
    if (is_key && !is_str_header(c)) return fail(d, "invalid_msgpack", "map key is not a string");
    d->p++;
    v->ext_type = 0;
    if (c <= 0x7f) {
        v->type = KP_INT;
        v->v.i = c;
        return 0;
    }
    if (c >= 0xe0) {
        v->type = KP_INT;
        v->v.i = (int64_t)c - 0x100;
        return 0;
    }
    if (c <= 0x8f) return open_container(d, v, true, c & 0x0f);
    if (c <= 0x9f) return open_container(d, v, false, c & 0x0f);
    if (c <= 0xbf) return take_bytes(d, v, KP_STR, c & 0x1f);
    return read_typed(d, v, c);
}

/* Picks the slot the next value goes into, closing finished containers
 * (and checking a finished map's keys).  *slot = NULL when the document
 * is complete. */
static int next_slot(dec *d, kp_value **slot, bool *is_key)
{
    while (d->depth > 0) {
        frame *f = &d->stack[d->depth - 1];
        if (f->next < f->n) {
            uint64_t i = f->next++;
            if (f->v->type == KP_MAP) {
                kp_pair *pr = &f->v->v.map.pairs[i / 2];
                *is_key = (i % 2) == 0;
                *slot = *is_key ? &pr->key : &pr->val;
            } else {
                *is_key = false;
                *slot = &f->v->v.arr.items[i];
            }
            return 0;
        }
        if (f->v->type == KP_MAP && check_dups(d, f->v) < 0) return -1;
        d->depth--;
    }
    *slot = NULL;
    return 0;
}

int kp_decode(kp_arena *a, const uint8_t *buf, size_t len, const kp_limits *lim, kp_value **out,
              kp_err *e)
{
    if (!lim) lim = &kp_default_limits;
    if (len > lim->max_total) {
        kp_err_set(e, "too_large", NULL, "document of %zu bytes exceeds the limit of %zu bytes",
                   len, lim->max_total);
        return -1;
    }
    if (!buf) buf = (const uint8_t *)""; /* len is 0: avoid arithmetic on NULL */
    frame local[LOCAL_FRAMES];
    dec d = {.a = a,
             .start = buf,
             .p = buf,
             .end = buf + len,
             .lim = lim,
             .e = e,
             .stack = local,
             .cap = LOCAL_FRAMES};
    kp_value *root = kp_arena_alloc(a, sizeof *root);
    if (!root) return oom(&d);
    kp_value *slot = root;
    bool is_key = false;
    while (slot) {
        if (read_value(&d, slot, is_key) < 0 || next_slot(&d, &slot, &is_key) < 0) return -1;
    }
    if (d.p != d.end) return fail(&d, "invalid_msgpack", "trailing bytes after the document");
    *out = root;
    return 0;
}
