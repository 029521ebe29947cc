/* validate.c — the one validator of profile writes: PATCH, POST and both
 * imports call profile_validate, so a field is judged the same everywhere
 * and every failure names its field.  It also normalises (trims keywords)
 * and re-encodes the accepted fields as a msgpack map for the SQL side.
 *
 * What it cannot know lives in SQL (khnet_profile_check in 0003): whether
 * a sector slug exists (the list is editable) and whether a time zone is
 * in the server's IANA database.  Lower-casing keywords is also left to
 * SQL: lower() knows Unicode (Vietnamese capitals), C's tolower does not. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth/auth.h"
#include "profile/profile.h"

/* ISO 3166-1 alpha-2, as in tzdata's iso3166.tab. */
static const char countries[] = "ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBT"
                                "BVBWBYBZCACCCDCFCGCHCICKCLCMCN"
                                "COCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFOFRGAGBGDGEGFGG"
                                "GHGIGLGMGNGPGQGRGSGTGUGWGYHKHM"
                                "HNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLCLI"
                                "LKLRLSLTLULVLYMAMCMDMEMFMGMHMK"
                                "MLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNANCNENFNGNINLNONPNRNUNZOMPAPEPFPGPH"
                                "PKPLPMPNPRPSPTPWPYQARERORSRURW"
                                "SASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTMTNTOTR"
                                "TTTVTWTZUAUGUMUSUYUZVAVCVEVGVI"
                                "VNVUWFWSYEYTZAZMZW";

static const char *const degree_levels[] = {"bachelor", "master", "phd", "md",
                                            "engineer", "other",  NULL};
static const char *const groups[] = {"contact", "affiliation", "education", "bio",
                                     "career",  "mentoring",   NULL};
static const char *const vis_values[] = {"public", "members", "liaison", NULL};

bool profile_country_valid(const char *s, size_t n)
{
    if (n != 2) return false;
    for (const char *c = countries; *c; c += 2)
        if (c[0] == s[0] && c[1] == s[1]) return true;
    return false;
}

static bool alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static bool digit(char c)
{
    return c >= '0' && c <= '9';
}
static bool alnum(char c)
{
    return alpha(c) || digit(c);
}

static bool all(const char *s, size_t n, bool (*ok)(char))
{
    for (size_t i = 0; i < n; i++)
        if (!ok(s[i])) return false;
    return true;
}

/* RFC 5646 "langtag" well-formedness (plus a lone private-use tag); the
 * registry is not consulted: "well-formed", not "valid". */
bool profile_bcp47_valid(const char *s, size_t n)
{
    enum { LANG, EXTLANG, SCRIPT, REGION, VARIANT, EXT, PRIV } st = LANG;
    int extlangs = 0, ext_len = 0;
    if (n == 0 || n > 35) return false;
    for (size_t i = 0; i <= n;) {
        size_t j = i;
        while (j < n && s[j] != '-')
            j++;
        const char *t = s + i;
        size_t len = j - i;
        if (len == 0 || len > 8 || !all(t, len, alnum)) return false;
        bool a = all(t, len, alpha);
        if (st == LANG) {
            if (len == 1 && (t[0] == 'x' || t[0] == 'X'))
                st = PRIV;
            else if (!a || len < 2 || len == 4)
                return false; /* 4 letters: reserved */
            else
                st = len <= 3 ? EXTLANG : SCRIPT;
        } else if (st == PRIV || (st == EXT && len >= 2)) {
            ext_len++; /* private use: any 1-8 alnum; extensions: 2-8 */
        } else if (len == 1) {
            if (st == EXT && ext_len == 0) return false;
            st = (t[0] == 'x' || t[0] == 'X') ? PRIV : EXT;
            ext_len = 0;
        } else if (st == EXTLANG && len == 3 && a && extlangs < 3) {
            extlangs++;
        } else if (st <= SCRIPT && len == 4 && a) {
            st = REGION;
        } else if ((st <= REGION && ((len == 2 && a) || (len == 3 && all(t, 3, digit)))) ||
                   (st <= VARIANT && (len >= 5 || (len == 4 && digit(t[0]))))) {
            st = VARIANT; /* a region, or a variant */
        } else {
            return false;
        }
        i = j + 1;
    }
    return !((st == EXT || st == PRIV) && ext_len == 0);
}

/* "10.<registrant>/<suffix>": registrant digits with dot-separated parts,
 * suffix any printable non-space ASCII or UTF-8. */
bool profile_doi_valid(const char *s, size_t n)
{
    if (n < 6 || n > 200 || memcmp(s, "10.", 3) != 0) return false;
    size_t i = 3, start = 3;
    while (i < n && (digit(s[i]) || (s[i] == '.' && i > start && digit(s[i - 1]))))
        i++;
    if (i - start < 4 || i >= n || s[i] != '/' || s[i - 1] == '.') return false;
    if (++i >= n) return false;
    for (; i < n; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f) return false;
    return true;
}

/* An absolute http(s) URL with a host and no spaces, controls or user
 * info; at most 2048 bytes. */
bool profile_url_valid(const char *s, size_t n)
{
    size_t p;
    if (n > 2048) return false;
    if (n > 7 && !strncasecmp(s, "http://", 7))
        p = 7;
    else if (n > 8 && !strncasecmp(s, "https://", 8))
        p = 8;
    else
        return false;
    size_t host = p;
    while (p < n && s[p] != '/' && s[p] != '?' && s[p] != '#') {
        char c = s[p];
        if (!(alnum(c) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']')) return false;
        p++;
    }
    if (p == host || s[host] == ':' || s[host] == '.') return false;
    for (; p < n; p++)
        if ((unsigned char)s[p] <= ' ' || s[p] == 0x7f) return false;
    return true;
}

/* ---- the walk over a request map ------------------------------------------- */

typedef struct vctx {
    kp_buf *out;  /* normalised fields, msgpack */
    kp_err *e;    /* the first failure */
    int year_now; /* degrees' upper bound */
} vctx;

static int fail(vctx *c, const char *code, const char *field, const char *msg)
{
    kp_err_set(c->e, code, field, "%s", msg);
    return -1;
}

static bool one_of(const char *s, size_t n, const char *const *set)
{
    for (; *set; set++)
        if (strlen(*set) == n && !memcmp(*set, s, n)) return true;
    return false;
}

static bool no_controls(const char *s, size_t n, bool multiline)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if ((ch < ' ' && !(multiline && (ch == '\n' || ch == '\t' || ch == '\r'))) || ch == 0x7f)
            return false;
    }
    return true;
}

typedef struct strspec {
    uint32_t min, max;                      /* code points */
    bool multiline;                         /* newlines and tabs allowed */
    bool (*check)(const char *s, size_t n); /* a format, or NULL */
} strspec;

/* A string value; on success s and n point at it (nothing written). */
static int str_value(vctx *c, const kp_value *v, const char *field, const strspec *sp,
                     const char **s, size_t *n)
{
    char msg[64];
    if (v->type != KP_STR) return fail(c, "invalid_type", field, "must be a string");
    size_t chars = kp_utf8_len(v->v.s.ptr, v->v.s.len);
    if (chars < sp->min) {
        snprintf(msg, sizeof msg, "must be at least %u characters", sp->min);
        return fail(c, "too_short", field, msg);
    }
    if (chars > sp->max) {
        snprintf(msg, sizeof msg, "must be at most %u characters", sp->max);
        return fail(c, "too_long", field, msg);
    }
    if (!no_controls(v->v.s.ptr, v->v.s.len, sp->multiline) ||
        (sp->check && !sp->check(v->v.s.ptr, v->v.s.len)))
        return fail(c, "invalid_value", field, "not an accepted value");
    *s = v->v.s.ptr;
    *n = v->v.s.len;
    return 0;
}

static int int_value(vctx *c, const kp_value *v, const char *field, int64_t min, int64_t max)
{
    if (v->type != KP_INT && v->type != KP_UINT)
        return fail(c, "invalid_type", field, "must be an integer");
    if (v->type == KP_UINT || v->v.i < min || v->v.i > max) {
        char msg[80];
        snprintf(msg, sizeof msg, "must be between %lld and %lld", (long long)min, (long long)max);
        return fail(c, "out_of_range", field, msg);
    }
    kp_w_int(c->out, v->v.i);
    return 0;
}

static bool blank_at(const char *s, size_t n, size_t i, size_t *w)
{
    if (i < n && (s[i] == ' ' || s[i] == '\t')) return *w = 1, true;
    if (i + 1 < n && (unsigned char)s[i] == 0xc2 && (unsigned char)s[i + 1] == 0xa0)
        return *w = 2, true;
    return false;
}

/* Strips ASCII blanks and no-break spaces, mixed in any order, at both
 * ends (so trimming twice changes nothing: the fuzzer checks that). */
static void trim(const char **s, size_t *n)
{
    size_t w;
    while (blank_at(*s, *n, 0, &w))
        *s += w, *n -= w;
    for (;;) {
        if (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
            (*n)--;
        else if (*n >= 2 && blank_at(*s, *n, *n - 2, &w) && w == 2)
            *n -= 2;
        else
            break;
    }
}

static int array_of(vctx *c, const kp_value *v, const char *field, uint32_t max)
{
    if (v->type != KP_ARRAY) return fail(c, "invalid_type", field, "must be a list");
    if (v->v.arr.n > max) {
        char msg[64];
        snprintf(msg, sizeof msg, "at most %u items", max);
        return fail(c, "too_long", field, msg);
    }
    kp_w_array(c->out, v->v.arr.n);
    return 0;
}

/* A list of strings, each checked by sp (and trimmed first when asked). */
static int str_list(vctx *c, const kp_value *v, const char *field, uint32_t max, const strspec *sp,
                    bool trimmed)
{
    char path[64];
    if (array_of(c, v, field, max)) return -1;
    for (uint32_t i = 0; i < v->v.arr.n; i++) {
        kp_value item = v->v.arr.items[i];
        snprintf(path, sizeof path, "%s.%u", field, i);
        if (trimmed && item.type == KP_STR) {
            size_t n = item.v.s.len;
            trim(&item.v.s.ptr, &n);
            item.v.s.len = (uint32_t)n;
        }
        const char *s;
        size_t n;
        if (str_value(c, &item, path, sp, &s, &n)) return -1;
        kp_w_str(c->out, s, n);
    }
    return 0;
}

/* A list of maps: each with only `keys`, checked member by member by fn. */
typedef int (*member_fn)(vctx *c, const kp_value *m, const char *path);

static int map_list(vctx *c, const kp_value *v, const char *field, uint32_t max,
                    const char *const *keys, member_fn fn)
{
    char path[64];
    if (array_of(c, v, field, max)) return -1;
    for (uint32_t i = 0; i < v->v.arr.n; i++) {
        const kp_value *m = &v->v.arr.items[i];
        snprintf(path, sizeof path, "%s.%u", field, i);
        if (m->type != KP_MAP) return fail(c, "invalid_type", path, "must be a map");
        snprintf(c->e->field, sizeof c->e->field, "%s", path);
        if (kp_check_fields(m, keys, c->e)) return -1;
        c->e->field[0] = '\0';
        if (fn(c, m, path)) return -1;
    }
    return 0;
}

/* Member `key` of map m under path: required string per sp, written. */
static int member_str(vctx *c, const kp_value *m, const char *path, const char *key, bool required,
                      const strspec *sp)
{
    char f[96];
    const kp_value *v = kp_map_get(m, key);
    snprintf(f, sizeof f, "%s.%s", path, key);
    kp_w_cstr(c->out, key);
    if (!v || v->type == KP_NIL) {
        if (required) return fail(c, "missing_field", f, "field is required");
        kp_w_nil(c->out);
        return 0;
    }
    const char *s;
    size_t n;
    if (str_value(c, v, f, sp, &s, &n)) return -1;
    kp_w_str(c->out, s, n);
    return 0;
}

static int member_int(vctx *c, const kp_value *m, const char *path, const char *key, int64_t min,
                      int64_t max)
{
    char f[96];
    const kp_value *v = kp_map_get(m, key);
    snprintf(f, sizeof f, "%s.%s", path, key);
    kp_w_cstr(c->out, key);
    if (!v || v->type == KP_NIL) {
        kp_w_nil(c->out);
        return 0;
    }
    return int_value(c, v, f, min, max);
}

static bool level_ok(const char *s, size_t n)
{
    return one_of(s, n, degree_levels);
}

static int degree(vctx *c, const kp_value *m, const char *path)
{
    static const strspec level = {1, 16, false, level_ok}, text = {1, 200, false, NULL};
    kp_w_map(c->out, 4);
    return member_str(c, m, path, "level", true, &level) ||
                   member_str(c, m, path, "field", true, &text) ||
                   member_str(c, m, path, "institution", true, &text) ||
                   member_int(c, m, path, "year", 1950, c->year_now)
               ? -1
               : 0;
}

static int link(vctx *c, const kp_value *m, const char *path)
{
    static const strspec label = {1, 100, false, NULL}, url = {10, 2048, false, profile_url_valid};
    kp_w_map(c->out, 2);
    return member_str(c, m, path, "label", false, &label) ||
                   member_str(c, m, path, "url", true, &url)
               ? -1
               : 0;
}

static int publication(vctx *c, const kp_value *m, const char *path)
{
    static const strspec title = {1, 500, false, NULL}, doi = {6, 200, false, profile_doi_valid};
    kp_w_map(c->out, 3);
    return member_str(c, m, path, "title", true, &title) ||
                   member_str(c, m, path, "doi", false, &doi) ||
                   member_int(c, m, path, "year", 1900, c->year_now + 1)
               ? -1
               : 0;
}

static bool vis_ok(const char *s, size_t n)
{
    return one_of(s, n, vis_values);
}

static int visibility(vctx *c, const kp_value *v)
{
    static const strspec value = {1, 16, false, vis_ok};
    c->e->field[0] = '\0';
    if (v->type != KP_MAP) return fail(c, "invalid_type", "visibility", "must be a map");
    snprintf(c->e->field, sizeof c->e->field, "visibility");
    if (kp_check_fields(v, groups, c->e)) return -1;
    c->e->field[0] = '\0';
    kp_w_map(c->out, v->v.map.n);
    for (uint32_t i = 0; i < v->v.map.n; i++) {
        char f[64];
        const kp_pair *p = &v->v.map.pairs[i];
        const char *s;
        size_t n;
        snprintf(f, sizeof f, "visibility.%.*s", (int)p->key.v.s.len, p->key.v.s.ptr);
        if (str_value(c, &p->val, f, &value, &s, &n)) return -1;
        kp_w_str(c->out, p->key.v.s.ptr, p->key.v.s.len);
        kp_w_str(c->out, s, n);
    }
    return 0;
}

static bool slug_ok(const char *s, size_t n)
{
    if (n < 2 || n > 40 || !(s[0] >= 'a' && s[0] <= 'z')) return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || digit(s[i]) || s[i] == '_')) return false;
    return true;
}

static bool country_ok(const char *s, size_t n)
{
    return profile_country_valid(s, n);
}
static bool orcid_ok(const char *s, size_t n)
{
    return profile_orcid_valid(s, n);
}
static bool lang_ok(const char *s, size_t n)
{
    return profile_bcp47_valid(s, n);
}
static bool email_ok(const char *s, size_t n)
{
    char norm[AUTH_EMAIL_MAX + 1];
    return auth_email_normalize(s, n, norm);
}

static bool tz_ok(const char *s, size_t n)
{
    /* s is not NUL-terminated: no str* functions here.  No dots at all,
     * so no "..": IANA names never need one. */
    for (size_t i = 0; i < n; i++)
        if (!(alnum(s[i]) || s[i] == '/' || s[i] == '_' || s[i] == '-' || s[i] == '+'))
            return false;
    return s[0] != '/' && s[n - 1] != '/';
}

/* One field: `key` with value v, written to c->out as key + value. */
static int field(vctx *c, const char *key, const kp_value *v)
{
    static const strspec full_name = {1, 200, false, NULL}, display = {1, 100, false, NULL},
                         line200 = {0, 200, false, NULL}, bio = {0, 5000, true, NULL},
                         country = {2, 2, false, country_ok}, city = {0, 100, false, NULL},
                         orcid = {19, 19, false, orcid_ok}, tz = {1, 64, false, tz_ok},
                         lang = {2, 35, false, lang_ok}, keyword = {1, 80, false, NULL},
                         slug = {1, 40, false, slug_ok}, ext_id = {1, 200, false, NULL},
                         email = {3, AUTH_EMAIL_MAX, false, email_ok};
    static const struct {
        const char *key;
        const strspec *spec;
        bool nullable;
    } strs[] = {{"full_name", &full_name, false}, {"display_name", &display, true},
                {"headline", &line200, true},     {"bio", &bio, true},
                {"country", &country, true},      {"city", &city, true},
                {"affiliation", &line200, true},  {"position", &line200, true},
                {"orcid", &orcid, true},          {"time_zone", &tz, true},
                {"external_id", &ext_id, false},  {"email", &email, false}};
    static const char *const deg_keys[] = {"level", "field", "institution", "year", NULL};
    static const char *const link_keys[] = {"label", "url", NULL};
    static const char *const pub_keys[] = {"title", "doi", "year", NULL};

    kp_w_cstr(c->out, key);
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        if (strcmp(key, strs[i].key) != 0) continue;
        const char *s;
        size_t n;
        if (v->type == KP_NIL) {
            if (!strs[i].nullable) return fail(c, "missing_field", key, "cannot be null");
            kp_w_nil(c->out);
            return 0;
        }
        if (str_value(c, v, key, strs[i].spec, &s, &n)) return -1;
        kp_w_str(c->out, s, n);
        return 0;
    }
    bool nil = v->type == KP_NIL;
    if (!strcmp(key, "years_experience") || !strcmp(key, "publications_count")) {
        if (nil) return kp_w_nil(c->out), 0;
        return int_value(c, v, key, 0, key[0] == 'y' ? 80 : 100000);
    }
    if (nil) return fail(c, "missing_field", key, "cannot be null");
    if (!strcmp(key, "mentor_capacity")) return int_value(c, v, key, 0, 50);
    if (!strcmp(key, "willing_to_mentor") || !strcmp(key, "seeking_mentor")) {
        if (v->type != KP_BOOL) return fail(c, "invalid_type", key, "must be true or false");
        kp_w_bool(c->out, v->v.b);
        return 0;
    }
    if (!strcmp(key, "languages")) return str_list(c, v, key, 20, &lang, false);
    if (!strcmp(key, "expertise")) return str_list(c, v, key, 50, &keyword, true);
    if (!strcmp(key, "mentor_topics")) return str_list(c, v, key, 20, &keyword, true);
    if (!strcmp(key, "sectors")) return str_list(c, v, key, 14, &slug, false);
    if (!strcmp(key, "degrees")) return map_list(c, v, key, 10, deg_keys, degree);
    if (!strcmp(key, "links")) return map_list(c, v, key, 10, link_keys, link);
    if (!strcmp(key, "publications")) return map_list(c, v, key, 100, pub_keys, publication);
    if (!strcmp(key, "visibility")) return visibility(c, v);
    return fail(c, "unknown_field", key, "unknown field");
}

int profile_validate(const kp_value *body, profile_mode mode, int year_now, kp_buf *out,
                     int64_t *version, kp_err *e)
{
    static const char *const editable[] = {"full_name",
                                           "display_name",
                                           "headline",
                                           "bio",
                                           "country",
                                           "city",
                                           "affiliation",
                                           "position",
                                           "years_experience",
                                           "publications_count",
                                           "publications",
                                           "orcid",
                                           "time_zone",
                                           "links",
                                           "languages",
                                           "expertise",
                                           "sectors",
                                           "degrees",
                                           "willing_to_mentor",
                                           "mentor_capacity",
                                           "mentor_topics",
                                           "seeking_mentor",
                                           "visibility",
                                           NULL,
                                           NULL,
                                           NULL};
    const char *allowed[sizeof editable / sizeof editable[0]];
    memcpy(allowed, editable, sizeof editable);
    size_t k = sizeof editable / sizeof editable[0] - 3;
    if (mode == PROFILE_PATCH) allowed[k] = "version";
    if (mode == PROFILE_IMPORT) allowed[k] = "external_id", allowed[k + 1] = "email";

    vctx c = {out, e, year_now};
    e->field[0] = '\0';
    if (kp_expect_map(body, NULL, e) || kp_check_fields(body, allowed, e)) return -1;
    if (mode == PROFILE_PATCH && kp_get_int(body, "version", true, 1, INT32_MAX, version, e) < 0)
        return -1;
    const char *s;
    if (mode != PROFILE_PATCH && kp_get_str(body, "full_name", true, 1, 200, &s, NULL, e) < 0)
        return -1;
    if (mode == PROFILE_IMPORT &&
        (kp_get_str(body, "external_id", true, 1, 200, &s, NULL, e) < 0 ||
         kp_get_str(body, "email", false, 3, AUTH_EMAIL_MAX, &s, NULL, e) < 0))
        return -1;
    uint32_t n = body->v.map.n - (kp_map_get(body, "version") ? 1 : 0);
    kp_w_map(out, n);
    for (uint32_t i = 0; i < body->v.map.n; i++) {
        const kp_pair *p = &body->v.map.pairs[i];
        char key[32];
        if (p->key.v.s.len >= sizeof key) return fail(&c, "unknown_field", NULL, "unknown field");
        memcpy(key, p->key.v.s.ptr, p->key.v.s.len);
        key[p->key.v.s.len] = '\0';
        if (!strcmp(key, "version")) continue;
        if (field(&c, key, &p->val)) return -1;
    }
    return out->oom ? fail(&c, "internal", NULL, "out of memory") : 0;
}
