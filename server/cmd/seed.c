/* seed.c — the demo data generator behind `khnetd seed`.  Each person is
 * drawn from a PRNG seeded with (seed, index), so the four COPY passes
 * (accounts, profiles, degrees, sectors) regenerate the same person
 * instead of holding 200,000 of them in memory.  Word lists: seed_data.c. */
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "cmd.h"
#include "khproto.h"
#include "seed_data.h"

enum { MAX_SECTORS = 3, MAX_KW = 5, MAX_DEGREES = 3, FLUSH_AT = 1 << 20 };

static const char *const levels[] = {"bachelor", "master", "phd", "md", "engineer", "other"};
static const char *const vis_values[] = {"public", "members", "liaison"};

typedef struct degree {
    int level;               /* index into levels */
    const char *field;       /* from the sector's fields */
    const char *institution; /* a real university */
    int year;
} degree;

typedef struct person {
    const char *family, *middle, *given;
    const seed_country *country;
    const seed_place *place;
    const char *affiliation, *position;
    int sectors[MAX_SECTORS], nsectors; /* indexes into seed_sectors */
    const char *kw[MAX_KW];
    int nkw;
    int years, pubs, capacity;
    bool display, english_bio, willing, seeking;
    char orcid[20]; /* "" when none */
    int vis[6];     /* indexes into vis_values */
    degree deg[MAX_DEGREES];
    int ndeg;
} person;

typedef struct seeder {
    PGconn *conn;
    kp_buf buf; /* COPY rows not yet sent */
    uint64_t seed;
    int n;              /* profiles to make */
    int64_t *ids;       /* reserved account ids, n of them */
    int sector_ids[32]; /* khnet_sectors.id by seed_sectors index */
    char pwhash[AUTH_HASH_MAX];
    long ndegrees, nlinks;
    char *err;
    size_t errlen;
} seeder;

/* splitmix64: tiny, fast, and good enough for picking demo words. */
static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}
static int pick(uint64_t *s, size_t n)
{
    return n ? (int)(rnd(s) % n) : 0;
}
static bool chance(uint64_t *s, int percent)
{
    return (int)(rnd(s) % 100) < percent;
}

static const seed_country *pick_country(uint64_t *s)
{
    int total = 0;
    for (size_t i = 0; i < seed_countries_n; i++)
        total += seed_countries[i].weight;
    int r = pick(s, (size_t)total);
    for (size_t i = 0; i < seed_countries_n; i++) {
        r -= seed_countries[i].weight;
        if (r < 0) return &seed_countries[i];
    }
    return &seed_countries[0];
}

static void make_orcid(uint64_t *s, char out[20])
{
    int total = 0, k = 0;
    for (int i = 0; i < 15; i++) {
        if (i && i % 4 == 0) out[k++] = '-';
        /* Issued iDs so far look like 0000-000[1-3]-...: keep to that. */
        int d = i < 7 ? 0 : i == 7 ? 1 + pick(s, 3) : pick(s, 10);
        out[k++] = (char)('0' + d);
        total = (total + d) * 2;
    }
    out[k++] = "0123456789X"[(12 - total % 11) % 11];
    out[k] = '\0';
}

static void add_keywords(uint64_t *s, person *p)
{
    int want = 2 + pick(s, MAX_KW - 1);
    for (int tries = 0; p->nkw < want && tries < 20; tries++) {
        const seed_sector *sec = &seed_sectors[p->sectors[pick(s, (size_t)p->nsectors)]];
        const char *k = sec->keywords[pick(s, sec->nkeywords)];
        bool dup = false;
        for (int j = 0; j < p->nkw; j++)
            dup |= p->kw[j] == k;
        if (!dup) p->kw[p->nkw++] = k;
    }
}

static void add_degrees(uint64_t *s, person *p)
{
    const seed_sector *sec = &seed_sectors[p->sectors[0]];
    int year = 2025 - p->years - 1 - (p->years > 10 ? 6 : 0);
    bool health = !strcmp(sec->slug, "healthcare");
    int first = health && chance(s, 50) ? 3 : chance(s, 15) ? 4 : 0;
    const char *home = chance(s, 70) ? seed_vn_unis[pick(s, seed_vn_unis_n)]
                                     : p->country->unis[pick(s, p->country->nunis)];
    p->deg[p->ndeg++] = (degree){first, sec->fields[pick(s, sec->nfields)], home, year};
    if (!chance(s, 65)) return;
    year += 2;
    p->deg[p->ndeg++] = (degree){1, sec->fields[pick(s, sec->nfields)],
                                 p->country->unis[pick(s, p->country->nunis)], year};
    if (!chance(s, 55)) return;
    p->deg[p->ndeg++] = (degree){2, sec->fields[pick(s, sec->nfields)],
                                 p->country->unis[pick(s, p->country->nunis)], year + 4};
}

static void make_person(uint64_t seed, int i, person *p)
{
    uint64_t s = seed * 0x100000001b3u + (uint64_t)i;
    memset(p, 0, sizeof *p);
    p->family = seed_family[pick(&s, seed_family_n)];
    p->middle = seed_middle[pick(&s, seed_middle_n)];
    p->given = seed_given[pick(&s, seed_given_n)];
    p->country = pick_country(&s);
    p->place = &p->country->places[pick(&s, p->country->nplaces)];
    p->affiliation = p->country->unis[pick(&s, p->country->nunis)];
    p->position = seed_positions[pick(&s, seed_positions_n)];
    int want = 1 + pick(&s, MAX_SECTORS);
    unsigned used = 0;
    while (p->nsectors < want) { /* distinct sectors; 14 to choose from */
        int c = pick(&s, seed_sectors_n);
        if (used & (1u << c)) continue;
        used |= 1u << c;
        p->sectors[p->nsectors++] = c;
    }
    add_keywords(&s, p);
    p->years = 1 + pick(&s, 40);
    p->pubs = pick(&s, (size_t)p->years * 4 + 1);
    p->display = chance(&s, 50);
    p->english_bio = p->country != &seed_countries[0] && chance(&s, 60);
    p->willing = p->years >= 5 && chance(&s, 35);
    p->capacity = p->willing ? 1 + pick(&s, 5) : 0;
    p->seeking = !p->willing && chance(&s, 12);
    if (chance(&s, 40)) make_orcid(&s, p->orcid);
    for (int k = 0; k < 6; k++)
        p->vis[k] = chance(&s, 60) ? 0 : 1 + pick(&s, 2);
    add_degrees(&s, p);
}

/* ---- COPY plumbing -------------------------------------------------------- */

static int fail(seeder *sd, const char *what)
{
    snprintf(sd->err, sd->errlen, "%s: %s", what, PQerrorMessage(sd->conn));
    return -1;
}

static int exec_ok(seeder *sd, const char *sql)
{
    PGresult *res = PQexec(sd->conn, sql);
    int st = PQresultStatus(res);
    PQclear(res);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : fail(sd, sql);
}

static int flush(seeder *sd, bool force)
{
    if (sd->buf.oom) {
        snprintf(sd->err, sd->errlen, "out of memory");
        return -1;
    }
    if (sd->buf.len == 0 || (!force && sd->buf.len < FLUSH_AT)) return 0;
    if (PQputCopyData(sd->conn, (const char *)sd->buf.data, (int)sd->buf.len) != 1)
        return fail(sd, "COPY data");
    kp_buf_reset(&sd->buf);
    return 0;
}

static int copy_end(seeder *sd)
{
    if (flush(sd, true) || PQputCopyEnd(sd->conn, NULL) != 1) return fail(sd, "COPY end");
    PGresult *res;
    int rc = 0;
    while ((res = PQgetResult(sd->conn)) != NULL) {
        if (PQresultStatus(res) != PGRES_COMMAND_OK) rc = fail(sd, "COPY");
        PQclear(res);
    }
    return rc;
}

/* Runs one COPY FROM STDIN, calling `row` for every person. */
static int copy_pass(seeder *sd, const char *sql, void (*row)(seeder *, const person *, int64_t))
{
    PGresult *res = PQexec(sd->conn, sql);
    int st = PQresultStatus(res);
    PQclear(res);
    if (st != PGRES_COPY_IN) return fail(sd, sql);
    for (int i = 0; i < sd->n; i++) {
        person p;
        make_person(sd->seed, i, &p);
        row(sd, &p, sd->ids[i]);
        if (flush(sd, false)) {
            PQputCopyEnd(sd->conn, "seed failed");
            return -1;
        }
    }
    return copy_end(sd);
}

/* A Postgres array literal of words from our lists (no quotes inside). */
static void text_array(kp_buf *b, const char *const *items, int n)
{
    kp_buf_append(b, "{", 1);
    for (int i = 0; i < n; i++)
        kp_buf_appendf(b, "%s\"%s\"", i ? "," : "", items[i]);
    kp_buf_append(b, "}", 1);
}

/* ---- rows ------------------------------------------------------------------ */

static void account_row(seeder *sd, const person *p, int64_t id)
{
    (void)p;
    kp_buf_appendf(&sd->buf, "%lld\tdemo+%lld@example.org\t%s\tmember\n", (long long)id,
                   (long long)id, sd->pwhash);
}

static void bio(kp_buf *b, const person *p)
{
    if (p->english_bio)
        kp_buf_appendf(b, "Works on %s at %s, %s. Glad to help Khánh Hòa projects.", p->kw[0],
                       p->affiliation, p->place->city);
    else
        kp_buf_appendf(b,
                       "Chuyên gia về %s, hiện công tác tại %s (%s). Mong được đóng góp "
                       "cho Khánh Hòa.",
                       p->kw[0], p->affiliation, p->place->city);
}

static void profile_row(seeder *sd, const person *p, int64_t id)
{
    kp_buf *b = &sd->buf;
    const seed_sector *sec = &seed_sectors[p->sectors[0]];
    kp_buf_appendf(b, "%lld\t%s %s %s\t", (long long)id, p->family, p->middle, p->given);
    if (p->display)
        kp_buf_appendf(b, "%s %s\t", p->given, p->family);
    else
        kp_buf_append(b, "\\N\t", 3);
    kp_buf_appendf(b, "%s, %s\t", p->position, sec->fields[0]);
    bio(b, p);
    kp_buf_appendf(b, "\t%s\t%s\t%s\t%s\t%d\t%d\t", p->country->code, p->place->city,
                   p->affiliation, p->position, p->years, p->pubs);
    if (p->orcid[0])
        kp_buf_appendf(b, "%s\t[{\"label\": \"ORCID\", \"url\": \"https://orcid.org/%s\"}]\t",
                       p->orcid, p->orcid);
    else
        kp_buf_append(b, "\\N\t[]\t", 6);
    kp_buf_appendf(b, "%s\t", p->place->tz);
    const char *langs[3] = {"vi", "en", p->country->lang};
    text_array(b, langs, p->country->lang ? 3 : 2);
    kp_buf_append(b, "\t", 1);
    text_array(b, p->kw, p->nkw);
    kp_buf_appendf(b, "\t%s\t%d\t", p->willing ? "t" : "f", p->capacity);
    text_array(b, p->kw, p->willing ? (p->nkw < 2 ? p->nkw : 2) : 0);
    kp_buf_appendf(b, "\t%s", p->seeking ? "t" : "f");
    for (int k = 0; k < 6; k++)
        kp_buf_appendf(b, "\t%s", vis_values[p->vis[k]]);
    kp_buf_append(b, "\n", 1);
}

static void degree_rows(seeder *sd, const person *p, int64_t id)
{
    for (int k = 0; k < p->ndeg; k++)
        kp_buf_appendf(&sd->buf, "%lld\t%s\t%s\t%s\t%d\n", (long long)id, levels[p->deg[k].level],
                       p->deg[k].field, p->deg[k].institution, p->deg[k].year);
    sd->ndegrees += p->ndeg;
}

static void sector_rows(seeder *sd, const person *p, int64_t id)
{
    for (int k = 0; k < p->nsectors; k++)
        kp_buf_appendf(&sd->buf, "%lld\t%d\n", (long long)id, sd->sector_ids[p->sectors[k]]);
    sd->nlinks += p->nsectors;
}

/* ---- setup ----------------------------------------------------------------- */

/* Account ids come from the table's own sequence, so seeding next to real
 * accounts (or twice) never collides. */
static int reserve_ids(seeder *sd)
{
    char n[16];
    snprintf(n, sizeof n, "%d", sd->n);
    const char *params[1] = {n};
    PGresult *res = PQexecParams(sd->conn,
                                 "SELECT nextval(pg_get_serial_sequence('khnet_accounts', 'id')) "
                                 "FROM generate_series(1, $1::int)",
                                 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != sd->n) {
        PQclear(res);
        return fail(sd, "reserving account ids");
    }
    for (int i = 0; i < sd->n; i++)
        sd->ids[i] = strtoll(PQgetvalue(res, i, 0), NULL, 10);
    PQclear(res);
    return 0;
}

static int load_sectors(seeder *sd)
{
    PGresult *res = PQexec(sd->conn, "SELECT id, slug FROM khnet_sectors");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        PQclear(res);
        return fail(sd, "reading khnet_sectors");
    }
    int rc = 0;
    for (size_t k = 0; k < seed_sectors_n; k++) {
        sd->sector_ids[k] = 0;
        for (int i = 0; i < PQntuples(res); i++)
            if (!strcmp(PQgetvalue(res, i, 1), seed_sectors[k].slug))
                sd->sector_ids[k] = atoi(PQgetvalue(res, i, 0));
        if (!sd->sector_ids[k]) {
            snprintf(sd->err, sd->errlen, "sector '%s' is missing", seed_sectors[k].slug);
            rc = -1;
            break;
        }
    }
    PQclear(res);
    return rc;
}

/* The search read model (khnet_search_docs, khnet_search_terms) is kept by
 * statement triggers, which would rebuild every seeded profile's document
 * once per COPY (profiles, then degrees, then sectors), through every GIN
 * index each time (~200 s for 200,000).  The seed defers them for its own
 * transaction (khnet.search_defer, read by the trigger functions) and
 * builds the documents once, set-based, after the last COPY
 * (khnet_search_fill, migrations/0004), and mentoring's stored terms once
 * (khnet_mentor_terms_all, which the same flag defers); readers see the
 * profiles and their documents appear together at COMMIT. */
static int run_passes(seeder *sd)
{
    if (exec_ok(sd, "BEGIN") || exec_ok(sd, "SET LOCAL khnet.search_defer = on") ||
        load_sectors(sd) || reserve_ids(sd))
        return -1;
    if (copy_pass(sd, "COPY khnet_accounts (id, email, password_hash, role) FROM STDIN",
                  account_row))
        return -1;
    if (copy_pass(sd,
                  "COPY khnet_profiles (account_id, full_name, display_name, headline, bio, "
                  "country, city, affiliation, position, years_experience, publications_count, "
                  "orcid, links, time_zone, languages, expertise, willing_to_mentor, "
                  "mentor_capacity, mentor_topics, seeking_mentor, vis_contact, "
                  "vis_affiliation, vis_education, vis_bio, vis_career, vis_mentoring) "
                  "FROM STDIN",
                  profile_row))
        return -1;
    if (copy_pass(sd, "COPY khnet_degrees (profile_id, level, field, institution, year) FROM STDIN",
                  degree_rows))
        return -1;
    if (copy_pass(sd, "COPY khnet_profile_sectors (profile_id, sector_id) FROM STDIN", sector_rows))
        return -1;
    if (exec_ok(sd, "SELECT khnet_search_fill()") ||
        exec_ok(sd, "SELECT khnet_mentor_terms_all()") || exec_ok(sd, "COMMIT"))
        return -1;
    /* Fresh statistics, so the first searches after a seed get good plans. */
    return exec_ok(sd, "ANALYZE khnet_profiles, khnet_profile_sectors, khnet_degrees, "
                       "khnet_search_docs, khnet_search_terms, khnet_mentor_terms, "
                       "khnet_mentor_cards");
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int seed_run(const char *conninfo, int profiles, uint64_t seed, FILE *out, char *err, size_t errlen)
{
    double t0 = now_s();
    seeder sd = {.seed = seed, .n = profiles, .err = err, .errlen = errlen};
    /* One hash for every demo account: scrypt is slow on purpose. */
    const auth_scrypt prm = {32768, 8, 1};
    if (auth_password_hash(SEED_DEMO_PASSWORD, strlen(SEED_DEMO_PASSWORD), &prm, sd.pwhash)) {
        snprintf(err, errlen, "could not hash the demo password");
        return -1;
    }
    sd.ids = calloc(profiles > 0 ? (size_t)profiles : 1, sizeof *sd.ids);
    sd.conn = PQconnectdb(conninfo);
    kp_buf_init(&sd.buf);
    int rc = -1;
    if (!sd.ids)
        snprintf(err, errlen, "out of memory");
    else if (PQstatus(sd.conn) != CONNECTION_OK)
        fail(&sd, "connecting");
    else
        rc = run_passes(&sd); /* on failure the connection closes: rollback */
    PQfinish(sd.conn);
    kp_buf_free(&sd.buf);
    free(sd.ids);
    if (rc == 0)
        fprintf(out, "seeded %d profiles (%ld degrees, %ld sector links) in %.2f s\n", profiles,
                sd.ndegrees, sd.nlinks, now_s() - t0);
    return rc;
}
