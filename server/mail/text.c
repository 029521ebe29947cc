/* text.c — what a mail says, in Vietnamese or English, and the RFC 5322
 * message around it (UTF-8 subject as an RFC 2047 word, body in base64 so
 * any relay carries it unchanged). */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mail/mail.h"

typedef struct text {
    const char *kind, *language;
    const char *subject;
    const char *body; /* printf: public_url, token, public_url?, token */
} text;

static const text texts[] = {
    {"password_reset", "en", "Reset your khnet password",
     "Someone, hopefully you, asked to reset the password of your khnet account.\n\n"
     "Open this link within one hour to choose a new password:\n%s/reset?token=%s\n\n"
     "If you did not ask for it, ignore this mail: your password stays as it is.\n"},
    {"password_reset", "vi", "Đặt lại mật khẩu khnet",
     "Có người (hy vọng là bạn) đã yêu cầu đặt lại mật khẩu tài khoản khnet của bạn.\n\n"
     "Mở liên kết này trong vòng một giờ để chọn mật khẩu mới:\n%s/reset?token=%s\n\n"
     "Nếu bạn không yêu cầu, hãy bỏ qua thư này: mật khẩu của bạn vẫn giữ nguyên.\n"},
    {"invitation", "en", "Your profile on the Khánh Hòa Global Intellectual Network",
     "A liaison officer of the Khánh Hòa Global Intellectual Network (khnet) has added "
     "your profile.\n\nTo claim your account, open this link within 14 days, choose a "
     "password and accept the terms:\n%s/claim?token=%s\n\n"
     "If you do not want an account, ignore this mail.\n"},
    {"invitation", "vi", "Hồ sơ của bạn trên Mạng lưới Trí thức Toàn cầu Khánh Hòa",
     "Cán bộ liên lạc của Mạng lưới Trí thức Toàn cầu Khánh Hòa (khnet) đã thêm hồ sơ "
     "của bạn.\n\nĐể nhận tài khoản, hãy mở liên kết này trong vòng 14 ngày, chọn mật khẩu "
     "và đồng ý với các điều khoản:\n%s/claim?token=%s\n\n"
     "Nếu bạn không muốn có tài khoản, hãy bỏ qua thư này.\n"},
};

static const text *find(const mail_item *m)
{
    const text *fallback = NULL;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        if (strcmp(texts[i].kind, m->kind) != 0) continue;
        if (strcmp(texts[i].language, m->language) == 0) return &texts[i];
        if (strcmp(texts[i].language, "vi") == 0) fallback = &texts[i];
    }
    return fallback;
}

int mail_text(const mail_item *m, const char *public_url, char *subject, size_t subject_cap,
              char *body, size_t body_cap)
{
    const text *t = find(m);
    if (!t) return -1;
    int s = snprintf(subject, subject_cap, "%s", t->subject);
    int b = snprintf(body, body_cap, t->body, public_url, m->token);
    return s < 0 || (size_t)s >= subject_cap || b < 0 || (size_t)b >= body_cap ? -1 : 0;
}

/* base64 of src into dst, lines of 76 characters ending in CRLF. */
static size_t base64_lines(char *dst, const unsigned char *src, size_t n)
{
    size_t out = 0;
    for (size_t i = 0; i < n; i += 57) { /* 57 bytes → 76 characters */
        size_t chunk = n - i < 57 ? n - i : 57;
        out += (size_t)EVP_EncodeBlock((unsigned char *)dst + out, src + i, (int)chunk);
        dst[out++] = '\r';
        dst[out++] = '\n';
    }
    dst[out] = '\0';
    return out;
}

char *mail_message(const mail_item *m, const char *from, const char *public_url)
{
    char subject[256], body[2048], subj64[400], date[64];
    if (mail_text(m, public_url, subject, sizeof subject, body, sizeof body) != 0) return NULL;
    EVP_EncodeBlock((unsigned char *)subj64, (const unsigned char *)subject, (int)strlen(subject));
    time_t now = time(NULL);
    struct tm tm;
    /* the C locale (khnetd never calls setlocale): English day and month */
    if (!gmtime_r(&now, &tm) ||
        strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm) == 0)
        return NULL;
    size_t blen = strlen(body), cap = 1024 + strlen(from) + strlen(m->to) + 2 * blen + 8;
    char *msg = malloc(cap);
    if (!msg) return NULL;
    int h = snprintf(msg, cap,
                     "Date: %s\r\nFrom: khnet <%s>\r\nTo: <%s>\r\nSubject: =?UTF-8?B?%s?=\r\n"
                     "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                     "Content-Language: %s\r\nContent-Transfer-Encoding: base64\r\n"
                     "Auto-Submitted: auto-generated\r\n\r\n",
                     date, from, m->to, subj64, m->language);
    if (h < 0 || (size_t)h + 2 * blen + 8 > cap) {
        free(msg);
        return NULL;
    }
    base64_lines(msg + h, (const unsigned char *)body, blen);
    return msg;
}
