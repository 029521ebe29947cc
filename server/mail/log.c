/* log.c — the development mail transport: each mail becomes one log line
 * holding its token (tests read it from there).  Never use it in
 * production: the log then holds live tokens. */
#include <string.h>

#include "log.h"
#include "mail/mail.h"

static int log_send(mail_transport *t, const mail_item *m, char *err, size_t errlen)
{
    (void)t;
    (void)err;
    (void)errlen;
    char q[300];
    log_quote(q, sizeof q, m->to, strlen(m->to));
    const char *key = strcmp(m->kind, "invitation") == 0 ? "invitation_token" : "reset_token";
    log_event("info", "msg=mail kind=%s to=%s %s=%s lang=%s", m->kind, q, key, m->token,
              m->language);
    return 0;
}

static void log_free(mail_transport *t)
{
    (void)t;
}

mail_transport *mail_log_transport(void)
{
    static mail_transport t = {"log", log_send, log_free, NULL};
    return &t;
}

mail_transport *mail_transport_new(const config *cfg, char *err, size_t errlen)
{
    const char *u = cfg->mail_url;
    if (!u || !*u || strcmp(u, "log") == 0) return mail_log_transport();
    return mail_smtp_transport(cfg, err, errlen);
}
