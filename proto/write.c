/* write.c — the msgpack writer (kp_w_*), on top of msgpack-c's packer.
 *
 * msgpack-c picks the shortest header for every integer, string, bin,
 * array and map; we only give it a write callback that appends to a kp_buf.
 * The packer is two pointers, so each call builds one on the stack instead
 * of keeping state next to the buffer.  Out-of-memory sticks in b->oom. */
#include "khproto.h"

#include <math.h>
#include <msgpack/pack.h>
#include <string.h>

static int buf_write(void *data, const char *p, size_t n)
{
    kp_buf *b = data;
    kp_buf_append(b, p, n);
    return b->oom ? -1 : 0;
}

#define PACKER(b)                                                                                  \
    msgpack_packer pk;                                                                             \
    msgpack_packer_init(&pk, (b), buf_write)

void kp_w_nil(kp_buf *b)
{
    PACKER(b);
    msgpack_pack_nil(&pk);
}

void kp_w_bool(kp_buf *b, bool v)
{
    PACKER(b);
    if (v)
        msgpack_pack_true(&pk);
    else
        msgpack_pack_false(&pk);
}

void kp_w_int(kp_buf *b, int64_t v)
{
    PACKER(b);
    msgpack_pack_int64(&pk, v);
}

void kp_w_uint(kp_buf *b, uint64_t v)
{
    PACKER(b);
    msgpack_pack_uint64(&pk, v);
}

/* Always float64, like most encoders (python-msgpack included): a double
 * narrowed to float32 "when exact" would surprise readers that type-check. */
void kp_w_double(kp_buf *b, double v)
{
    PACKER(b);
    msgpack_pack_double(&pk, v);
}

/* msgpack lengths are 32-bit; a longer payload cannot be encoded. */
static bool fits32(kp_buf *b, size_t n)
{
    if (n <= UINT32_MAX) return true;
    b->oom = true;
    return false;
}

void kp_w_str(kp_buf *b, const char *s, size_t n)
{
    PACKER(b);
    if (fits32(b, n)) msgpack_pack_str_with_body(&pk, s, n);
}

void kp_w_cstr(kp_buf *b, const char *s)
{
    kp_w_str(b, s ? s : "", s ? strlen(s) : 0);
}

void kp_w_bin(kp_buf *b, const void *p, size_t n)
{
    PACKER(b);
    if (fits32(b, n)) msgpack_pack_bin_with_body(&pk, p, n);
}

void kp_w_array(kp_buf *b, uint32_t n)
{
    PACKER(b);
    msgpack_pack_array(&pk, n);
}

void kp_w_map(kp_buf *b, uint32_t n)
{
    PACKER(b);
    msgpack_pack_map(&pk, n);
}

static void w_float(kp_buf *b, const kp_value *v)
{
    PACKER(b);
    /* A float32 from the input goes back as float32, so a decoded tree
     * re-encodes byte for byte (POST /v1/echo). */
    if (v->ext_type == 32 && ((double)(float)v->v.f == v->v.f || isnan(v->v.f)))
        msgpack_pack_float(&pk, (float)v->v.f);
    else
        msgpack_pack_double(&pk, v->v.f);
}

void kp_w_value(kp_buf *b, const kp_value *v)
{
    if (!v) {
        kp_w_nil(b);
        return;
    }
    switch (v->type) {
    case KP_NIL:
        kp_w_nil(b);
        break;
    case KP_BOOL:
        kp_w_bool(b, v->v.b);
        break;
    case KP_INT:
        kp_w_int(b, v->v.i);
        break;
    case KP_UINT:
        kp_w_uint(b, v->v.u);
        break;
    case KP_FLOAT:
        w_float(b, v);
        break;
    case KP_STR:
        kp_w_str(b, v->v.s.ptr, v->v.s.len);
        break;
    case KP_BIN:
        kp_w_bin(b, v->v.s.ptr, v->v.s.len);
        break;
    case KP_EXT: {
        PACKER(b);
        msgpack_pack_ext_with_body(&pk, v->v.s.ptr, v->v.s.len, v->ext_type);
        break;
    }
    case KP_ARRAY:
        kp_w_array(b, v->v.arr.n);
        for (uint32_t i = 0; i < v->v.arr.n; i++)
            kp_w_value(b, &v->v.arr.items[i]);
        break;
    case KP_MAP:
        kp_w_map(b, v->v.map.n);
        for (uint32_t i = 0; i < v->v.map.n; i++) {
            kp_w_value(b, &v->v.map.pairs[i].key);
            kp_w_value(b, &v->v.map.pairs[i].val);
        }
        break;
    default:
        b->oom = true;
        break; /* not a kp_type: refuse to guess */
    }
}

void kp_w_error(kp_buf *b, const char *code, const char *message, const char *field)
{
    bool has_field = field && *field;
    kp_w_map(b, 1);
    kp_w_cstr(b, "error");
    kp_w_map(b, has_field ? 3 : 2);
    kp_w_cstr(b, "code");
    kp_w_cstr(b, code ? code : "internal");
    kp_w_cstr(b, "message");
    kp_w_cstr(b, message);
    if (has_field) {
        kp_w_cstr(b, "field");
        kp_w_cstr(b, field);
    }
}
