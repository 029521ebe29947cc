/* mail.h — how khnetd sends mail: a pluggable sender (a table of function
 * pointers), so production can plug in SMTP or an HTTP mail API without the
 * api layer knowing.  The development sender writes the message to the log.
 *
 * Rule for implementations: functions are called on a worker's loop and
 * must not block it (queue the message and return).  They may be called
 * from several workers at once. */
#ifndef KHNET_MAIL_H
#define KHNET_MAIL_H

typedef struct mail_sender {
    const char *name; /* for logs: "log", "smtp", ... */
    /* Delivers a password reset token to `to`.  Both strings are only
     * valid during the call.  0 when accepted for delivery, else -1. */
    int (*send_reset)(const struct mail_sender *m, const char *to, const char *token);
    void *impl; /* the implementation's state */
} mail_sender;

/* Development: one log line "msg=mail to=<email> reset_token=<token>". */
extern const mail_sender mail_log_sender;

#endif
