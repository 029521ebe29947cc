/* moderation.h — the moderation domain, inside: blocks between members,
 * message reports and the moderators' queue, silencing (moderation.c);
 * forum moderation: threads, posts, the report queue, the log (forum.c).
 * Its one export is api_domain_moderation (domain.c).  Queue and audit
 * rows: migrations/0006_messaging.sql. */
#ifndef KHNET_API_MODERATION_H
#define KHNET_API_MODERATION_H

#include "api/kit/kit.h"

enum moderation_stmt {
    MOD_BLOCK_SET,
    MOD_BLOCKS_LIST,
    MOD_REPORT_MESSAGE,
    MOD_REPORTS_LIST,
    MOD_REPORT_RESOLVE,
    MOD_SILENCE,
    MOD_FORUM_THREAD,
    MOD_POST_HIDDEN,
    MOD_QUEUE,
    MOD_QUEUE_ASSIGN,
    MOD_QUEUE_RESOLVE,
    MOD_LOG,
    MOD_NSTMTS
};
extern const db_stmt moderation_stmts[MOD_NSTMTS];
#define MOD_STMT(id) (&moderation_stmts[MOD_##id])

void api_block(http_req *r);
void api_unblock(http_req *r);
void api_blocks_list(http_req *r);
void api_report_message(http_req *r);
void api_reports_list(http_req *r);
void api_report_resolve(http_req *r);
void api_silence(http_req *r);
void api_mod_thread(http_req *r); /* forum.c: the forum moderators' side */
void api_mod_post_hide(http_req *r);
void api_mod_post_unhide(http_req *r);
void api_mod_queue(http_req *r);
void api_mod_queue_assign(http_req *r);
void api_mod_queue_resolve(http_req *r);
void api_mod_log(http_req *r);

#endif
