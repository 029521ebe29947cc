/* log.c — the development mail sender: the message goes to the structured
 * log instead of a mailbox (tests read the token from there).  Never use it
 * in production: the log then holds live reset tokens. */
#include <string.h>

#include "log.h"
#include "mail/mail.h"

static int log_reset(const mail_sender *m, const char *to, const char *token)
{
    (void)m;
    char q[300];
    log_quote(q, sizeof q, to, strlen(to));
    log_event("info", "msg=mail kind=password_reset to=%s reset_token=%s", q, token);
    return 0;
}

const mail_sender mail_log_sender = {"log", log_reset, NULL};
