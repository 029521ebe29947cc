/* hub.c — a worker's real-time streams: the registry of open WebSocket
 * streams by account, the LISTEN fan-out, the fetch-and-push of events, and
 * the periodic session re-check (see stream.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stream.h"

enum { FETCH_BATCH = 100, HUB_BUCKETS = 4096 };

/* want_seq when anything may have been missed (the LISTEN connection came
 * back): the next fetch decides what there is. */
#define SEQ_UNKNOWN INT64_MAX

typedef struct client client;
struct client {
    client *next, *prev; /* hub bucket chain */
    stream_hub *hub;     /* owner */
    http_ws *ws;         /* NULL once the connection is gone */
    int64_t account_id;  /* whose events */
    int64_t session_id;  /* through which session (re-checked) */
    int64_t last_seq;    /* newest event pushed; -1 until known */
    int64_t want_seq;    /* newest event announced, or SEQ_UNKNOWN */
    int refs;            /* the open connection, the query in flight, a send under way */
    bool fetching;       /* a query for this client is in flight */
    bool again;          /* news came while fetching: that answer may predate it */
};

struct stream_hub {
    db_pool *db;                  /* the worker's pool */
    stream_stmts stmts;           /* the pool's ids of the hub's statements */
    client *buckets[HUB_BUCKETS]; /* by account id */
    size_t nclients;              /* open streams */
    db_listener *listener;        /* LISTEN khnet_events */
    uv_timer_t check;             /* session re-check */
    bool checking;                /* a re-check query is in flight */
    bool closing;                 /* stream_hub_close was called */
    void (*done)(void *);         /* close completion */
    void *done_data;
    kp_arena *scratch; /* per-batch decoding of payloads */
    kp_buf frame;      /* one outgoing frame */
};

static client **bucket(stream_hub *h, int64_t account)
{
    return &h->buckets[(uint64_t)account * 0x9E3779B97F4A7C15ull >> 52 & (HUB_BUCKETS - 1)];
}

static void link_client(client *c)
{
    client **b = bucket(c->hub, c->account_id);
    c->prev = NULL;
    c->next = *b;
    if (*b) (*b)->prev = c;
    *b = c;
    c->hub->nclients++;
}

static void unlink_client(client *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        *bucket(c->hub, c->account_id) = c->next;
    if (c->next) c->next->prev = c->prev;
    c->hub->nclients--;
}

/* A client outlives its connection while a query for it is in flight or
 * while the hub is sending to it: a send that fails closes the connection
 * at once (on_ws_close, inside http_ws_send), and the caller still holds c. */
static void client_release(client *c)
{
    if (--c->refs == 0) free(c);
}

/* ---- fetching and pushing --------------------------------------------------- */

/* {type:"event", seq, kind, payload, at}; payload is stored as JSON text. */
static int push_event(client *c, const PGresult *res, int row)
{
    stream_hub *h = c->hub;
    kp_buf_reset(&h->frame);
    kp_arena_reset(h->scratch);
    const char *payload = PQgetvalue(res, row, 2);
    kp_value *pv = NULL;
    kp_err e = {0};
    if (kp_json_decode(h->scratch, payload, strlen(payload), &kp_default_limits, &pv, &e))
        pv = NULL; /* the database wrote it; cannot happen short of a bug */
    kp_w_map(&h->frame, 5);
    kp_w_cstr(&h->frame, "type");
    kp_w_cstr(&h->frame, "event");
    kp_w_cstr(&h->frame, "seq");
    kp_w_int(&h->frame, strtoll(PQgetvalue(res, row, 0), NULL, 10));
    kp_w_cstr(&h->frame, "kind");
    kp_w_cstr(&h->frame, PQgetvalue(res, row, 1));
    kp_w_cstr(&h->frame, "payload");
    if (pv)
        kp_w_value(&h->frame, pv);
    else
        kp_w_nil(&h->frame);
    kp_w_cstr(&h->frame, "at");
    kp_w_cstr(&h->frame, PQgetvalue(res, row, 3));
    return http_ws_send(c->ws, h->frame.data, h->frame.len);
}

static void fetch(client *c);

/* Pushes a batch.  A notification that came while the query ran may be
 * for an event committed after the query's snapshot, so it is not in this
 * answer: `again` asks once more rather than taking the batch as the news. */
static void on_events(void *data, const db_reply *rep)
{
    client *c = data;
    bool again = c->again;
    c->fetching = c->again = false;
    int n = rep->status == DB_OK ? PQntuples(rep->res) : 0;
    bool sent = true;
    for (int i = 0; i < n && sent && c->ws; i++) {
        sent = push_event(c, rep->res, i) == 0; /* else a slow consumer, being closed */
        if (sent) c->last_seq = strtoll(PQgetvalue(rep->res, i, 0), NULL, 10);
    }
    if (rep->status == DB_OK && sent && c->ws) {
        if (n == FETCH_BATCH || (again && c->want_seq > c->last_seq))
            fetch(c); /* more waiting, or news this answer may predate */
        else if (c->want_seq > c->last_seq)
            c->want_seq = c->last_seq; /* caught up */
    }
    /* on failure want_seq stays ahead and the re-check timer retries */
    client_release(c);
}

static void fetch(client *c)
{
    if (!c->ws) return;
    if (c->fetching) { /* the answer on its way may predate the news */
        c->again = true;
        return;
    }
    if (c->last_seq < 0) return; /* the starting point failed: being closed */
    char acc[24], after[24], lim[8];
    snprintf(acc, sizeof acc, "%" PRId64, c->account_id);
    snprintf(after, sizeof after, "%" PRId64, c->last_seq);
    snprintf(lim, sizeof lim, "%d", FETCH_BATCH);
    const char *params[3] = {acc, after, lim};
    if (db_query(c->hub->db, c->hub->stmts.events_after, 3, params, NULL, on_events, c) == 0) {
        c->fetching = true;
        c->refs++;
    }
}

static void send_ready(client *c)
{
    stream_hub *h = c->hub;
    kp_buf_reset(&h->frame);
    kp_w_map(&h->frame, 2);
    kp_w_cstr(&h->frame, "type");
    kp_w_cstr(&h->frame, "ready");
    kp_w_cstr(&h->frame, "seq");
    kp_w_int(&h->frame, c->last_seq);
    http_ws_send(c->ws, h->frame.data, h->frame.len);
}

/* A stream without ?after= starts at the member's newest event; news that
 * came meanwhile (want_seq) is fetched at once. */
static void on_latest(void *data, const db_reply *rep)
{
    client *c = data;
    c->fetching = c->again = false;
    if (c->ws && (rep->status != DB_OK || PQntuples(rep->res) != 1)) {
        http_ws_close(c->ws, 1011, "database unavailable");
    } else if (c->ws) {
        c->last_seq = strtoll(PQgetvalue(rep->res, 0, 0), NULL, 10);
        send_ready(c);
        if (c->want_seq > c->last_seq) fetch(c);
    }
    client_release(c);
}

/* ---- notifications ------------------------------------------------------------ */

static void on_notify(void *data, const char *payload)
{
    stream_hub *h = data;
    if (!payload) { /* (re)subscribed: anything may have been missed */
        for (size_t b = 0; b < HUB_BUCKETS; b++)
            for (client *c = h->buckets[b]; c; c = c->next) {
                c->want_seq = SEQ_UNKNOWN;
                fetch(c);
            }
        return;
    }
    char *end;
    int64_t account = strtoll(payload, &end, 10);
    if (*end != ':') return;
    int64_t seq = strtoll(end + 1, NULL, 10);
    for (client *c = *bucket(h, account); c; c = c->next) {
        if (c->account_id != account) continue;
        if (seq > c->want_seq) c->want_seq = seq;
        if (c->want_seq > c->last_seq) fetch(c);
    }
}

/* ---- session re-check ------------------------------------------------------------ */

static void hub_free(stream_hub *h);

static void on_dead_sessions(void *data, const db_reply *rep)
{
    stream_hub *h = data;
    h->checking = false;
    if (h->closing) { /* stream_hub_close waited for this answer */
        hub_free(h);
        return;
    }
    if (rep->status != DB_OK) return;
    for (int i = 0; i < PQntuples(rep->res); i++) {
        int64_t sid = strtoll(PQgetvalue(rep->res, i, 0), NULL, 10);
        for (size_t b = 0; b < HUB_BUCKETS; b++)
            for (client *c = h->buckets[b], *next; c; c = next) {
                next = c->next; /* closing may unlink and free c at once */
                if (c->session_id == sid && c->ws) http_ws_close(c->ws, 4001, "session ended");
            }
    }
}

static void on_check(uv_timer_t *t)
{
    stream_hub *h = t->data;
    db_listener_keepalive(h->listener); /* a silent LISTEN peer is found within two checks */
    kp_buf ids;
    kp_buf_init(&ids);
    kp_buf_append(&ids, "{", 1);
    for (size_t b = 0; b < HUB_BUCKETS; b++)
        for (client *c = h->buckets[b]; c; c = c->next) {
            kp_buf_appendf(&ids, "%s%" PRId64, ids.len > 1 ? "," : "", c->session_id);
            if (c->want_seq > c->last_seq) fetch(c); /* retry after a failed fetch */
        }
    kp_buf_append(&ids, "}", 2); /* with NUL */
    const char *params[1] = {(const char *)ids.data};
    if (!h->checking && h->nclients && !ids.oom &&
        db_query(h->db, h->stmts.sessions_dead, 1, params, NULL, on_dead_sessions, h) == 0)
        h->checking = true;
    kp_buf_free(&ids);
}

/* ---- the hub ------------------------------------------------------------------------ */

stream_hub *stream_hub_new(uv_loop_t *loop, db_pool *db, const char *conninfo, uint64_t check_ms,
                           const stream_stmts *stmts)
{
    stream_hub *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->db = db;
    h->stmts = *stmts;
    h->scratch = kp_arena_new(4096);
    kp_buf_init(&h->frame);
    h->listener = db_listener_new(loop, conninfo, "khnet_events", on_notify, h);
    if (!h->scratch || !h->listener) {
        kp_arena_free(h->scratch);
        free(h);
        return NULL;
    }
    uv_timer_init(loop, &h->check);
    h->check.data = h;
    uv_timer_start(&h->check, on_check, check_ms, check_ms);
    return h;
}

/* Last of the hub: its timer is closed and no re-check is in flight (its
 * callback reads the hub).  The listener calls done once it is closed. */
static void hub_free(stream_hub *h)
{
    db_listener_close(h->listener, h->done, h->done_data);
    kp_arena_free(h->scratch);
    kp_buf_free(&h->frame);
    free(h);
}

/* Streams are closed by the HTTP layer's drain (close 1001); here only the
 * hub's own handles.  A client whose query is still in flight frees itself
 * in its callback without touching the hub. */
static void on_check_closed(uv_handle_t *hd)
{
    stream_hub *h = hd->data;
    if (!h->checking) hub_free(h); /* else on_dead_sessions does */
}

void stream_hub_close(stream_hub *h, void (*done)(void *), void *data)
{
    h->closing = true;
    h->done = done;
    h->done_data = data;
    uv_close((uv_handle_t *)&h->check, on_check_closed);
}

size_t stream_hub_clients(const stream_hub *h)
{
    return h ? h->nclients : 0;
}

/* ---- attaching a stream ------------------------------------------------------------- */

static void on_ws_message(http_ws *ws, const uint8_t *data, size_t len, bool binary)
{
    (void)ws, (void)data, (void)len, (void)binary; /* clients only listen */
}

static void on_ws_close(http_ws *ws)
{
    client *c = http_ws_user(ws);
    unlink_client(c);
    c->ws = NULL;
    client_release(c);
}

static const http_ws_ops stream_ops = {on_ws_message, on_ws_close};

/* Where the stream starts: from a cursor, the ready frame and what follows
 * it; else the member's newest event, asked first (on_latest). */
static void start(client *c, int64_t after)
{
    if (after >= 0) {
        c->want_seq = after + 1; /* whatever follows, if anything */
        send_ready(c);
        fetch(c);
        return;
    }
    char acc[24];
    snprintf(acc, sizeof acc, "%" PRId64, c->account_id);
    const char *params[1] = {acc};
    if (db_query(c->hub->db, c->hub->stmts.events_latest, 1, params, NULL, on_latest, c) == 0) {
        c->fetching = true;
        c->refs++;
    } else {
        http_ws_close(c->ws, 1011, "database unavailable");
    }
}

int stream_hub_attach(stream_hub *h, http_req *r, int64_t account, int64_t session, int64_t after,
                      const http_ws_limits *lim)
{
    client *c = calloc(1, sizeof *c);
    if (!c) {
        http_reply_error(r, 503, "server_busy", "out of memory", NULL);
        return -1;
    }
    c->hub = h;
    c->account_id = account;
    c->session_id = session;
    c->last_seq = c->want_seq = after;
    c->ws = http_ws_accept(r, &stream_ops, c, lim);
    if (!c->ws) {
        free(c);
        return -1;
    }
    link_client(c);
    c->refs = 2; /* the connection's, and ours while start() sends */
    start(c, after);
    client_release(c);
    return 0;
}
