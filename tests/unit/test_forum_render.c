/* test_forum_render.c — server/forum: hostile CommonMark renders to HTML
 * with nothing executable (no script, no raw HTML, no event handler, no
 * javascript:/vbscript:/data: URL), deep nesting stays bounded, mentions
 * are found only where they are meant, and tags/handles are checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../forum_inert.h"
#include "forum/forum.h"

static kp_arena *arena;

static int setup(void **st)
{
    (void)st;
    arena = kp_arena_new(4096);
    return arena ? 0 : -1;
}
static int teardown(void **st)
{
    (void)st;
    kp_arena_free(arena);
    return 0;
}

static forum_doc render(const char *md)
{
    forum_doc d;
    assert_int_equal(forum_render(arena, md, strlen(md), &d), 0);
    assert_int_equal(strlen(d.html), d.html_len);
    return d;
}

/* Fails the test with the reason when html is not inert. */
static void assert_inert(const char *html)
{
    const char *why = forum_inert(html);
    if (why) fail_msg("%s in %s", why, html);
}

static void plain_markdown(void **st)
{
    (void)st;
    forum_doc d = render("# Title\n\nSome *emphasis* and **strong**, `code`.\n\n> quote\n");
    assert_string_equal(d.html, "<h1>Title</h1>\n<p>Some <em>emphasis</em> and "
                                "<strong>strong</strong>, <code>code</code>.</p>\n"
                                "<blockquote>\n<p>quote</p>\n</blockquote>\n");
    assert_int_equal(d.nlinks, 0);
    assert_int_equal(d.nmentions, 0);
}

static void raw_html_dropped(void **st)
{
    (void)st;
    static const char *const inputs[] = {
        "<script>alert(1)</script>",
        "hello <script>alert(1)</script> world",
        "<img src=x onerror=alert(1)>",
        "text <b onmouseover=alert(1)>bold</b>",
        "<div>\n<iframe src=\"https://evil\"></iframe>\n</div>",
        "<!-- comment --><svg onload=alert(1)>",
        "<style>body{display:none}</style>",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<?php echo 1; ?>",
        "<![CDATA[<script>alert(1)</script>]]>",
        "<object data=\"x\"></object><embed src=x>",
        "  <script>\nalert(1)\n</script>",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        forum_doc d = render(inputs[i]);
        assert_inert(d.html);
    }
    forum_doc d = render("hello <script>alert(1)</script> world");
    assert_string_equal(d.html, "<p>hello alert(1) world</p>\n");
}

static void dangerous_links_unwrapped(void **st)
{
    (void)st;
    static const char *const inputs[] = {
        "[x](javascript:alert(1))",
        "[x](JavaScript:alert(1))",
        "[x](  javascript:alert(1) )",
        "[x](<java\tscript:alert(1)>)",
        "[x](java&#9;script:alert(1))",
        "[x](&#106;avascript:alert(1))",
        "[x](&#x01;javascript:alert(1))",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "![x](data:image/svg+xml,<svg onload=alert(1)>)",
        "![x](data:image/png;base64,AAAA)",
        "<javascript:alert(1)>",
        "[x][r]\n\n[r]: javascript:alert(1)",
        "[x](file:///etc/passwd)",
        "![a [b](javascript:alert(1))](javascript:alert(2))",
        "[x](%6Aavascript:alert(1))",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        forum_doc d = render(inputs[i]);
        assert_inert(d.html);
        assert_null(strstr(d.html, "href")); /* the link itself is gone */
        assert_null(strstr(d.html, "src"));
    }
    forum_doc d = render("[click](javascript:alert(1)) me");
    assert_string_equal(d.html, "<p>click me</p>\n");
    assert_int_equal(d.nlinks, 0);
    /* A ':' after a character that cannot be in a scheme makes a relative
     * URL for a browser; refused anyway rather than reasoned about. */
    d = render("[x](%6Aavascript:alert(1))");
    assert_string_equal(d.html, "<p>x</p>\n");
}

static void safe_links_kept(void **st)
{
    (void)st;
    forum_doc d = render("[site](https://khanhhoa.gov.vn/a?b=1) <http://x.org> "
                         "[mail](mailto:a@b.org) [rel](/v1/x) ![p](https://x.org/p.png)");
    assert_int_equal(d.nlinks, 5);
    assert_non_null(strstr(d.html, "<a href=\"https://khanhhoa.gov.vn/a?b=1\">site</a>"));
    assert_non_null(strstr(d.html, "<img src=\"https://x.org/p.png\" alt=\"p\" />"));
    assert_inert(d.html);
    /* Attribute break-out attempts stay inside the attribute. */
    d = render("[x](https://a.org/\"onmouseover=\"alert(1))");
    assert_inert(d.html);
    d = render("[x](https://a.org \"title\\\" onmouseover=\\\"alert(1)\")");
    assert_null(strstr(d.html, "\" onmouseover"));
}

static void url_rules(void **st)
{
    (void)st;
    assert_true(forum_url_allowed("https://a"));
    assert_true(forum_url_allowed("HTTP://a"));
    assert_true(forum_url_allowed("mailto:x@y"));
    assert_true(forum_url_allowed(""));
    assert_true(forum_url_allowed("a/b:c"));
    assert_true(forum_url_allowed("#frag:x"));
    assert_true(forum_url_allowed("?q=a:b"));
    assert_false(forum_url_allowed(NULL));
    assert_false(forum_url_allowed("javascript:x"));
    assert_false(forum_url_allowed(" \x01javascript:x"));
    assert_false(forum_url_allowed("java\tscr\nipt:x"));
    assert_true(forum_url_allowed("ht\ttp:x")); /* tab removed: http */
    assert_false(forum_url_allowed("data:image/png;base64,AA"));
    assert_false(forum_url_allowed("verylongscheme:x"));
    assert_false(forum_url_allowed("a b:c"));
    assert_false(forum_url_allowed("ftp://x"));
}

static void deep_nesting(void **st)
{
    (void)st;
    /* 10,000 nested quotes and 5,000 nested brackets and emphasis: cmark's
     * renderer is iterative, so this is bounded work and no stack blowup. */
    size_t n = 10000;
    char *md = malloc(n * 2 + 32);
    assert_non_null(md);
    for (size_t i = 0; i < n; i++)
        md[i] = '>';
    strcpy(md + n, " <script>x</script>");
    forum_doc d = render(md);
    assert_inert(d.html);
    assert_non_null(strstr(d.html, "<blockquote>"));
    for (size_t i = 0; i < n; i++)
        md[i] = (i % 2) ? '*' : '[';
    strcpy(md + n, "](javascript:x)");
    d = render(md);
    assert_inert(d.html);
    free(md);
}

static void bounded_output(void **st)
{
    (void)st;
    /* The biggest input: 32 KiB of characters that escape to 5 or 6 bytes. */
    char *md = malloc(FORUM_BODY_MAX + 1);
    assert_non_null(md);
    for (size_t i = 0; i < FORUM_BODY_MAX; i++)
        md[i] = "<&\"'"[i % 4];
    md[FORUM_BODY_MAX] = '\0';
    forum_doc d = render(md);
    assert_inert(d.html);
    assert_true(d.html_len < (size_t)FORUM_BODY_MAX * 8);
    free(md);
}

static void mentions(void **st)
{
    (void)st;
    forum_doc d = render("Hi @Nguyen_van and @42, cc @nguyen_VAN again; mail a@bcd.org, "
                         "`@incode`\n\n```\n@block\n```\n\n    @indented\n\n"
                         "@ab @0123 @9999999999999999999 "
                         "**@bold_one** [@linked](https://x) @x.y @toolongtoolongtoolongtoolong_"
                         "toolong");
    const char *want[] = {"nguyen_van", "42", "bold_one", "linked"};
    assert_int_equal(d.nmentions, 4);
    for (int i = 0; i < 4; i++)
        assert_string_equal(d.mentions[i], want[i]);
    assert_string_equal(forum_mentions_literal(arena, &d), "{nguyen_van,42,bold_one,linked}");
    d = render("no mentions");
    assert_string_equal(forum_mentions_literal(arena, &d), "{}");
    /* At most FORUM_MENTIONS_MAX distinct. */
    char md[2048] = "";
    for (int i = 1; i <= 40; i++) {
        char one[16];
        snprintf(one, sizeof one, "@%d ", i);
        strcat(md, one);
    }
    d = render(md);
    assert_int_equal(d.nmentions, FORUM_MENTIONS_MAX);
    assert_string_equal(d.mentions[FORUM_MENTIONS_MAX - 1], "20");
}

static void handles_and_tags(void **st)
{
    (void)st;
    assert_true(forum_handle_valid("abc", 3));
    assert_true(forum_handle_valid("nguyen_van_2", 12));
    assert_false(forum_handle_valid("ab", 2));
    assert_false(forum_handle_valid("Abc", 3));
    assert_false(forum_handle_valid("1bc", 3));
    assert_false(forum_handle_valid("a-bc", 4));
    assert_false(forum_handle_valid("abcdefghijabcdefghijabcdefghija", 31));

    const char *s = "  Nuôi trồng thủy sản\t";
    size_t n = strlen(s);
    assert_int_equal(forum_tag_check(&s, &n), 0);
    assert_int_equal(n, strlen("Nuôi trồng thủy sản"));
    assert_memory_equal(s, "Nuôi trồng thủy sản", n);
    static const char *const bad[] = {"",
                                      "   ",
                                      "a,b",
                                      "a\nb",
                                      "a\x7f",
                                      "a\xc2\x85z",
                                      "0123456789012345678901234567890123456789x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        s = bad[i];
        n = strlen(s);
        assert_int_equal(forum_tag_check(&s, &n), -1);
    }
    s = "ồồồồồồồồồồồồồồồồồồồồồồồồồồồồồồồồồồồồồồồồ"; /* 40 characters, 120 bytes */
    n = strlen(s);
    assert_int_equal(forum_tag_check(&s, &n), 0);
}

static void invalid_utf8(void **st)
{
    (void)st;
    const char md[] = "a\xff\xfe<script>\x00z";
    forum_doc d;
    assert_int_equal(forum_render(arena, md, sizeof md - 1, &d), 0);
    assert_inert(d.html);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_markdown),
        cmocka_unit_test(raw_html_dropped),
        cmocka_unit_test(dangerous_links_unwrapped),
        cmocka_unit_test(safe_links_kept),
        cmocka_unit_test(url_rules),
        cmocka_unit_test(deep_nesting),
        cmocka_unit_test(bounded_output),
        cmocka_unit_test(mentions),
        cmocka_unit_test(handles_and_tags),
        cmocka_unit_test(invalid_utf8),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
