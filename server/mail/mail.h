/* mail.h — how khnetd sends mail.  Mails are rows of khnet_mail_queue,
 * written by SQL in the transaction that makes their token; the pump
 * (pump.c) takes due rows and hands each to the transport, on the libuv
 * threadpool, never on a request's loop.
 *
 * Transports: "log" (log.c, development: one log line per mail, token
 * included) and SMTP through libcurl (smtp.c).  The text of a mail, in
 * Vietnamese or English, is text.c's. */
#ifndef KHNET_MAIL_H
#define KHNET_MAIL_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* One mail to deliver, as the queue holds it. */
typedef struct mail_item {
    const char *kind;     /* "password_reset" or "invitation" */
    const char *to;       /* the address */
    const char *language; /* "vi" or "en" */
    const char *token;    /* the link token the text carries */
} mail_item;

/* A way to deliver.  send runs on a threadpool thread, one call at a time
 * per transport; 0 when the mail was accepted, else -1 with a reason in
 * err (the pump retries later). */
typedef struct mail_transport {
    const char *name; /* for logs: "log", "smtp" */
    int (*send)(struct mail_transport *t, const mail_item *m, char *err, size_t errlen);
    void (*free)(struct mail_transport *t);
    void *impl;
} mail_transport;

/* The transport --mail-url names ("log", smtp://, smtps://); NULL with a
 * reason in err when the URL is not usable. */
mail_transport *mail_transport_new(const config *cfg, char *err, size_t errlen);
mail_transport *mail_log_transport(void);
mail_transport *mail_smtp_transport(const config *cfg, char *err, size_t errlen);

/* ---- text (text.c) --------------------------------------------------------- */
/* The subject and plain-text body of `m` in its language, links under
 * public_url; 0, or -1 when they do not fit the buffers. */
int mail_text(const mail_item *m, const char *public_url, char *subject, size_t subject_cap,
              char *body, size_t body_cap);
/* The whole RFC 5322 message (headers, base64 UTF-8 body) in a malloc'd
 * string; NULL when out of memory or the text does not fit. */
char *mail_message(const mail_item *m, const char *from, const char *public_url);

/* ---- the pump (pump.c) ----------------------------------------------------- */
typedef struct mail_pump mail_pump;
/* Starts the pump thread (own loop; deliveries on the threadpool) on the
 * database of cfg with transport t (owned by the pump from now).  NULL when
 * it cannot start. */
mail_pump *mail_pump_start(const config *cfg, mail_transport *t);
/* Asks the running pump, if any, to look at the queue now (a mail was just
 * queued).  Any thread; cheap. */
void mail_pump_poke(void);
/* Finishes the delivery in progress, stops the thread, frees everything. */
void mail_pump_stop(mail_pump *p);

#endif
