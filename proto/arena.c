/* arena.c — the request-scoped bump allocator (kp_arena_*).
 *
 * Memory comes from a list of chunks and is released all at once, so a
 * request's decoded tree costs a few mallocs, not one per value.  Requests
 * larger than half a chunk get a chunk of their own, so one big string does
 * not waste the rest of the current chunk.  Not thread-safe: one arena, one
 * request, one thread. */
#include "khproto.h"

#include <stdlib.h>
#include <string.h>

#define KP_ALIGN 16u
#define KP_MIN_CHUNK 256u
#define KP_MAX_GROWTH ((size_t)1 << 20) /* stop doubling chunk sizes here */

struct chunk {
    struct chunk *next; /* older chunks (and big allocations) */
    size_t cap;         /* usable bytes after the header */
    size_t used;        /* bytes handed out, including alignment padding */
};

struct kp_arena {
    struct chunk *head;  /* chunk we bump in; list continues through ->next */
    struct chunk *first; /* survives kp_arena_reset */
    size_t next_size;    /* size of the next regular chunk */
    size_t used;         /* bytes handed out since the last reset */
    long fail_in;        /* fault injection: allocations until one fails (0 = never) */
};

static struct chunk *chunk_new(size_t cap)
{
    /* KP_ALIGN slack lets the first allocation align whatever malloc gives */
    if (cap > SIZE_MAX - sizeof(struct chunk) - KP_ALIGN) return NULL;
    struct chunk *c = malloc(sizeof(struct chunk) + cap + KP_ALIGN);
    if (!c) return NULL;
    c->next = NULL;
    c->cap = cap + KP_ALIGN;
    c->used = 0;
    return c;
}

/* Returns n aligned bytes from c, or NULL when they do not fit. */
static void *chunk_take(struct chunk *c, size_t n)
{
    uintptr_t base = (uintptr_t)(c + 1);
    uintptr_t at = (base + c->used + (KP_ALIGN - 1)) & ~(uintptr_t)(KP_ALIGN - 1);
    size_t off = (size_t)(at - base);
    if (off > c->cap || c->cap - off < n) return NULL;
    c->used = off + n;
    return (unsigned char *)(c + 1) + off;
}

kp_arena *kp_arena_new(size_t first_chunk)
{
    kp_arena *a = malloc(sizeof *a);
    if (!a) return NULL;
    if (first_chunk < KP_MIN_CHUNK) first_chunk = KP_MIN_CHUNK;
    a->first = a->head = chunk_new(first_chunk);
    if (!a->first) {
        free(a);
        return NULL;
    }
    a->next_size = first_chunk;
    a->used = 0;
    a->fail_in = 0;
    return a;
}

static void free_chunks(struct chunk *c, const struct chunk *keep)
{
    while (c) {
        struct chunk *next = c->next;
        if (c != keep) free(c);
        c = next;
    }
}

void kp_arena_free(kp_arena *a)
{
    if (!a) return;
    free_chunks(a->head, NULL);
    free(a);
}

void kp_arena_reset(kp_arena *a)
{
    free_chunks(a->head, a->first);
    a->first->next = NULL;
    a->first->used = 0;
    a->head = a->first;
    a->used = 0;
    a->fail_in = 0;
}

void kp_arena_fail_after(kp_arena *a, long n)
{
    a->fail_in = n > 0 ? n : 0;
}

/* Slow path: the current chunk is full or n is big. */
static void *alloc_new_chunk(kp_arena *a, size_t n)
{
    if (n > a->next_size / 2) {
        /* Own chunk, linked behind head so head keeps serving small ones. */
        struct chunk *big = chunk_new(n);
        if (!big) return NULL;
        big->next = a->head->next;
        a->head->next = big;
        return chunk_take(big, n);
    }
    if (a->next_size < KP_MAX_GROWTH) a->next_size *= 2;
    struct chunk *c = chunk_new(a->next_size);
    if (!c) return NULL;
    c->next = a->head;
    a->head = c;
    return chunk_take(c, n);
}

void *kp_arena_alloc(kp_arena *a, size_t n)
{
    if (a->fail_in && --a->fail_in == 0) return NULL; /* injected: see kp_arena_fail_after */
    if (kp_fault_hit("arena")) return NULL;           /* injected: fault.c */
    if (n == 0) n = 1; /* a distinct, valid pointer even for empty requests */
    if (n > SIZE_MAX - KP_ALIGN) return NULL;
    n = (n + KP_ALIGN - 1) & ~(size_t)(KP_ALIGN - 1);
    void *p = chunk_take(a->head, n);
    if (!p) p = alloc_new_chunk(a, n);
    if (p) a->used += n;
    return p;
}

char *kp_arena_strndup(kp_arena *a, const char *s, size_t n)
{
    if (n == SIZE_MAX) return NULL;
    char *p = kp_arena_alloc(a, n + 1);
    if (!p) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

size_t kp_arena_used(const kp_arena *a)
{
    return a->used;
}
