/* it_messaging.c — libkhnet's typed messaging calls against a real khnetd
 * (run by tests/harness.sh, which exports KHNET_URL): conversations,
 * idempotent send, history, read cursor and unread, edit, delete, blocks.
 * The server-side rules in depth are tests/interop/messaging.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

static void test_messaging(void **state)
{
    (void)state;
    const char *url = getenv("KHNET_URL");
    it_user a = it_make_user(url, "it.a@example.org"), b = it_make_user(url, "it.b@example.org");
    khnet_reply *rep = NULL;

    assert_int_equal(khnet_conversation_direct(a.ctx, b.id, &rep), KHNET_OK);
    assert_int_equal(rep->status, 201);
    int64_t conv = it_get_int(rep, "id");
    khnet_reply_free(rep);
    assert_int_equal(khnet_conversation_direct(b.ctx, a.id, &rep), KHNET_OK);
    assert_int_equal(rep->status, 200);
    assert_int_equal(it_get_int(rep, "id"), conv);
    khnet_reply_free(rep);

    /* a send and its retry: one message */
    assert_int_equal(khnet_message_send(a.ctx, conv, "it-1", "Chào chị Thư!", 0, &rep), KHNET_OK);
    assert_int_equal(rep->status, 201);
    int64_t m1 = it_get_int(rep, "id");
    assert_int_equal(it_get_int(rep, "seq"), 1);
    khnet_reply_free(rep);
    assert_int_equal(khnet_message_send(a.ctx, conv, "it-1", "Chào chị Thư!", 0, &rep), KHNET_OK);
    assert_int_equal(rep->status, 200);
    assert_int_equal(it_get_int(rep, "id"), m1);
    khnet_reply_free(rep);
    /* unread and the read cursor (a reply would move it too) */
    assert_int_equal(khnet_unread(b.ctx, &rep), KHNET_OK);
    assert_int_equal(it_get_int(rep, "total"), 1);
    khnet_reply_free(rep);
    assert_int_equal(khnet_conversation_read(b.ctx, conv, m1, &rep), KHNET_OK);
    assert_int_equal(it_get_int(rep, "unread"), 0);
    khnet_reply_free(rep);

    assert_int_equal(khnet_message_send(b.ctx, conv, "it-2", "Dạ, chào anh.", m1, &rep), KHNET_OK);
    assert_int_equal(it_get_int(rep, "reply_to"), m1);
    khnet_reply_free(rep);

    assert_int_equal(khnet_messages_history(b.ctx, conv, NULL, NULL, 10, &rep), KHNET_OK);
    const kp_value *items = it_get(rep, "items");
    assert_int_equal(items->type, KP_ARRAY);
    assert_int_equal(items->v.arr.n, 2);
    const kp_value *text = kp_map_get(&items->v.arr.items[0], "text");
    assert_true(text && text->type == KP_STR && text->v.s.len == strlen("Chào chị Thư!"));
    assert_int_equal(it_get(rep, "prev")->type, KP_NIL);
    khnet_reply_free(rep);
    assert_int_equal(khnet_messages_history(b.ctx, conv, "not-a-cursor", NULL, 0, &rep),
                     KHNET_ERR_HTTP);
    assert_int_equal(rep->status, 400);
    assert_string_equal(rep->field, "before");
    khnet_reply_free(rep);

    /* edit, delete, and a stranger's edit */
    assert_int_equal(khnet_message_edit(a.ctx, m1, "Chào chị Thư ạ!", &rep), KHNET_OK);
    assert_int_equal(it_get(rep, "edited_at")->type, KP_STR);
    khnet_reply_free(rep);
    assert_int_equal(khnet_message_edit(b.ctx, m1, "x", &rep), KHNET_ERR_HTTP);
    assert_int_equal(rep->status, 403);
    khnet_reply_free(rep);
    assert_int_equal(khnet_message_delete(a.ctx, m1, &rep), KHNET_OK);
    assert_int_equal(it_get(rep, "text")->type, KP_NIL);
    khnet_reply_free(rep);

    /* a block stops the direct conversation */
    assert_int_equal(khnet_block(b.ctx, a.id, 1, &rep), KHNET_OK);
    assert_int_equal(rep->status, 204);
    khnet_reply_free(rep);
    assert_int_equal(khnet_message_send(a.ctx, conv, "it-3", "?", 0, &rep), KHNET_ERR_HTTP);
    assert_int_equal(rep->status, 403);
    assert_string_equal(rep->code, "blocked");
    khnet_reply_free(rep);
    assert_int_equal(khnet_block(b.ctx, a.id, 0, &rep), KHNET_OK);
    khnet_reply_free(rep);

    /* a group, then the list: the group is the newest activity */
    int64_t others[1] = {b.id};
    assert_int_equal(khnet_conversation_group(a.ctx, "Nhóm Nha Trang", others, 1, &rep), KHNET_OK);
    assert_int_equal(rep->status, 201);
    int64_t g = it_get_int(rep, "id");
    khnet_reply_free(rep);
    assert_int_equal(khnet_conversations_list(b.ctx, NULL, 1, &rep), KHNET_OK);
    items = it_get(rep, "items");
    assert_int_equal(items->v.arr.n, 1);
    assert_int_equal(kp_map_get(&items->v.arr.items[0], "id")->v.i, g);
    assert_int_equal(it_get(rep, "next")->type, KP_STR);
    khnet_reply_free(rep);

    assert_int_equal(khnet_message_send(a.ctx, conv, NULL, "x", 0, &rep), KHNET_ERR_ARG);

    /* the CLI: khnet chat send, then chat unread as the other side */
    const char *cli = getenv("KHNET_CLI");
    if (cli) {
        char cmd[512], out[256] = "";
        snprintf(cmd, sizeof cmd,
                 "%s --token %s chat send %lld 'qua CLI' cli-1 >/dev/null && "
                 "%s --token %s chat unread",
                 cli, a.token, (long long)g, cli, b.token);
        assert_int_equal(it_run(cmd, out, sizeof out), 0);
        assert_non_null(strstr(out, "\"total\":1"));
    }
    khnet_free(a.ctx);
    khnet_free(b.ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_messaging)};
    return cmocka_run_group_tests_name("it_messaging", tests, NULL, NULL);
}
