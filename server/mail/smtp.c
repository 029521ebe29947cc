/* smtp.c — the SMTP transport, through libcurl (SMTP, STARTTLS, AUTH).
 *
 * --mail-url smtp://[user:pass@]host[:port][?starttls=required|try|no]
 * [&cacert=FILE], or smtps://... (TLS from the first byte).  smtp://
 * requires STARTTLS unless told otherwise, so credentials never cross the
 * network in the clear by default.  One easy handle per transport, a new
 * connection per mail; send runs on a threadpool thread and the pump never
 * calls it twice at once. */
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail.h"

typedef struct smtp {
    CURL *curl;
    char *url;    /* without our query parameters */
    char *cacert; /* NULL: the system's trust store */
    long use_ssl; /* CURLUSESSL_* */
    const config *cfg;
} smtp;

typedef struct upload {
    const char *p;
    size_t left;
} upload;

static size_t read_cb(char *buf, size_t size, size_t n, void *data)
{
    upload *u = data;
    size_t k = size * n < u->left ? size * n : u->left;
    memcpy(buf, u->p, k);
    u->p += k;
    u->left -= k;
    return k;
}

static int smtp_send(mail_transport *t, const mail_item *m, char *err, size_t errlen)
{
    smtp *s = t->impl;
    char *msg = mail_message(m, s->cfg->mail_from, s->cfg->public_url);
    char from[300], rcpt[300];
    snprintf(from, sizeof from, "<%s>", s->cfg->mail_from);
    snprintf(rcpt, sizeof rcpt, "<%s>", m->to);
    struct curl_slist *to = msg ? curl_slist_append(NULL, rcpt) : NULL;
    if (!to) {
        free(msg);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    upload u = {msg, strlen(msg)};
    char ebuf[CURL_ERROR_SIZE] = "";
    CURL *c = s->curl;
    curl_easy_setopt(c, CURLOPT_URL, s->url);
    curl_easy_setopt(c, CURLOPT_USE_SSL, s->use_ssl);
    if (s->cacert) curl_easy_setopt(c, CURLOPT_CAINFO, s->cacert);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, to);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &u);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM for timeouts */
    /* A connection per mail: an idle one kept open could hang on a server
     * that restarted; mails are few. */
    curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 20000L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, NULL);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    curl_slist_free_all(to);
    free(msg);
    if (rc == CURLE_OK) return 0;
    snprintf(err, errlen, "%s: %s", curl_easy_strerror(rc), ebuf);
    return -1;
}

static void smtp_free(mail_transport *t)
{
    smtp *s = t->impl;
    curl_easy_cleanup(s->curl);
    free(s->url);
    free(s->cacert);
    free(s);
    free(t);
}

/* Takes our parameters (starttls, cacert) off the URL's query. */
static int parse_query(smtp *s, char *q, char *err, size_t errlen)
{
    for (char *save = NULL, *kv = strtok_r(q, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
        if (strcmp(kv, "starttls=required") == 0)
            s->use_ssl = CURLUSESSL_ALL;
        else if (strcmp(kv, "starttls=try") == 0)
            s->use_ssl = CURLUSESSL_TRY;
        else if (strcmp(kv, "starttls=no") == 0)
            s->use_ssl = CURLUSESSL_NONE;
        else if (strncmp(kv, "cacert=", 7) == 0 && kv[7] && !s->cacert)
            s->cacert = strdup(kv + 7);
        else {
            snprintf(err, errlen, "--mail-url: unknown parameter '%s'", kv);
            return -1;
        }
    }
    return 0;
}

mail_transport *mail_smtp_transport(const config *cfg, char *err, size_t errlen)
{
    const char *u = cfg->mail_url;
    bool tls = strncmp(u, "smtps://", 8) == 0;
    if (!tls && strncmp(u, "smtp://", 7) != 0) {
        snprintf(err, errlen, "--mail-url: want log, smtp://... or smtps://..., got '%.40s'", u);
        return NULL;
    }
    mail_transport *t = calloc(1, sizeof *t);
    smtp *s = calloc(1, sizeof *s);
    if (!t || !s || !(s->url = strdup(u)) || !(s->curl = curl_easy_init())) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    s->cfg = cfg;
    s->use_ssl = CURLUSESSL_ALL; /* smtp://: STARTTLS required; smtps://: TLS anyway */
    char *q = strchr(s->url, '?');
    if (q) {
        *q++ = '\0';
        if (parse_query(s, q, err, errlen) != 0) goto fail;
    }
    *t = (mail_transport){"smtp", smtp_send, smtp_free, s};
    return t;
fail:
    if (s) {
        if (s->curl) curl_easy_cleanup(s->curl);
        free(s->url);
        free(s->cacert);
    }
    free(s);
    free(t);
    return NULL;
}
