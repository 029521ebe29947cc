/* test_net_cidr.c — address sets for --trusted-proxies (server/net/cidr.c):
 * IPv4 and IPv6 CIDR parsing and its refusals, membership at the prefix
 * edges, IPv4-mapped IPv6 peers, and bare-address parsing as used on
 * X-Forwarded-For entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "net/net.h"

static struct sockaddr_storage addr(const char *s)
{
    struct sockaddr_storage ss;
    if (net_addr_parse(s, strlen(s), &ss) != 0) fail_msg("test address %s does not parse", s);
    return ss;
}

static bool in(const net_cidrs *set, const char *s)
{
    struct sockaddr_storage ss = addr(s);
    return net_cidrs_contains(set, (struct sockaddr *)&ss);
}

static net_cidrs set_of(const char *text)
{
    net_cidrs s;
    char err[160] = "";
    if (net_cidrs_parse(text, &s, err, sizeof err) != 0) fail_msg("'%s': %s", text, err);
    return s;
}

static void refused(const char *text, const char *why)
{
    net_cidrs s;
    char err[160] = "";
    assert_int_equal(net_cidrs_parse(text, &s, err, sizeof err), -1);
    if (!strstr(err, why)) fail_msg("'%s': message '%s' does not say '%s'", text, err, why);
}

static void ipv4(void **st)
{
    (void)st;
    net_cidrs s = set_of("10.0.0.0/8, 192.168.1.7 172.16.0.0/12");
    assert_int_equal(s.n, 3);
    assert_true(in(&s, "10.0.0.0"));
    assert_true(in(&s, "10.255.255.255"));
    assert_false(in(&s, "11.0.0.0"));
    assert_false(in(&s, "9.255.255.255"));
    assert_true(in(&s, "192.168.1.7"));
    assert_false(in(&s, "192.168.1.8"));
    assert_true(in(&s, "172.31.255.255"));
    assert_false(in(&s, "172.32.0.0"));
    assert_false(in(&s, "::1")); /* another family */
    net_cidrs all = set_of("0.0.0.0/0");
    assert_true(in(&all, "203.0.113.9"));
    assert_false(in(&all, "2001:db8::1"));
    net_cidrs odd = set_of("127.0.0.2/31"); /* not on a byte boundary: .2 and .3 */
    assert_false(in(&odd, "127.0.0.1"));
    assert_true(in(&odd, "127.0.0.2"));
    assert_true(in(&odd, "127.0.0.3"));
    assert_false(in(&odd, "127.0.0.4"));
}

static void ipv6(void **st)
{
    (void)st;
    net_cidrs s = set_of("2001:db8::/32,::1,fe80::/10,[2001:db8:ffff::1]/128");
    assert_int_equal(s.n, 4);
    assert_true(in(&s, "2001:db8::"));
    assert_true(in(&s, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
    assert_false(in(&s, "2001:db9::"));
    assert_true(in(&s, "::1"));
    assert_false(in(&s, "::2"));
    assert_true(in(&s, "febf:ffff::1")); /* fe80::/10 runs to febf */
    assert_false(in(&s, "fec0::1"));
    assert_false(in(&s, "127.0.0.1"));
    net_cidrs all = set_of("::/0");
    assert_true(in(&all, "2001:db8::7"));
    assert_false(in(&all, "127.0.0.1"));             /* ::/0 is IPv6 only */
    net_cidrs nibble = set_of("2001:db8:0:12::/63"); /* ...:12 and ...:13 */
    assert_true(in(&nibble, "2001:db8:0:13::5"));
    assert_false(in(&nibble, "2001:db8:0:14::"));
}

static void mapped_ipv4(void **st)
{
    (void)st;
    /* a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d */
    net_cidrs s = set_of("127.0.0.0/8");
    assert_true(in(&s, "::ffff:127.0.0.1"));
    assert_false(in(&s, "::ffff:128.0.0.1"));
    /* a mapped range in the list is its IPv4 range */
    net_cidrs m = set_of("::ffff:10.0.0.0/104");
    assert_true(in(&m, "10.1.2.3"));
    assert_false(in(&m, "11.1.2.3"));
    char text[NET_ADDR_TEXT];
    struct sockaddr_storage ss = addr("::ffff:192.0.2.1");
    assert_int_equal(net_addr_name((struct sockaddr *)&ss, text, sizeof text), 0);
    assert_string_equal(text, "192.0.2.1");
    ss = addr("2001:DB8:0:0:0:0:0:1");
    assert_int_equal(net_addr_name((struct sockaddr *)&ss, text, sizeof text), 0);
    assert_string_equal(text, "2001:db8::1"); /* canonical text */
}

static void refusals(void **st)
{
    (void)st;
    refused("10.0.0.1/8", "bits set past");
    refused("2001:db8::1/32", "bits set past");
    refused("10.0.0.0/33", "prefix length");
    refused("::/129", "prefix length");
    refused("10.0.0.0/", "prefix length");
    refused("10.0.0.0/-1", "prefix length");
    refused("10.0.0.0/08", "prefix length");
    refused("10.0.0.0/8x", "prefix length");
    refused("::ffff:10.0.0.0/95", "prefix length");
    refused("10.0.0", "not an IPv4 or IPv6");
    refused("10.0.0.256", "not an IPv4 or IPv6");
    refused("localhost", "not an IPv4 or IPv6");
    refused("fe80::1%eth0", "not an IPv4 or IPv6");
    refused("[10.0.0.1]", "not an IPv4 or IPv6");
    refused("2001:db8:::1", "not an IPv4 or IPv6");
    refused("10.0.0.0/8;", "prefix length");
    char many[1200] = "";
    for (int i = 0; i <= NET_CIDRS_MAX; i++)
        strcat(many, "10.0.0.1,");
    refused(many, "more than");
    /* nothing at all is the empty set: nobody is trusted */
    net_cidrs e = set_of("");
    assert_int_equal(e.n, 0);
    assert_false(in(&e, "127.0.0.1"));
    e = set_of(" , ,");
    assert_int_equal(e.n, 0);
    assert_false(net_cidrs_contains(
        NULL, (const struct sockaddr *)&(struct sockaddr_in){.sin_family = AF_INET}));
}

static void bare_addresses(void **st)
{
    (void)st;
    struct sockaddr_storage ss;
#define OK(s) assert_int_equal(net_addr_parse(s, strlen(s), &ss), 0)
#define NO(s) assert_int_equal(net_addr_parse(s, strlen(s), &ss), -1)
    OK("203.0.113.7");
    OK("2001:db8::7");
    OK("[2001:db8::7]");
    OK("::");
    NO("");
    NO("[]");
    NO("203.0.113.7:8080"); /* a port is not an address */
    NO("[2001:db8::7]:443");
    NO("unknown");
    NO(" 203.0.113.7");
    NO("203.0.113.7 ");
    NO("0x7f.1");
    NO("1.2.3.4.5");
    NO("2001:db8::7::");
#undef OK
#undef NO
    /* not NUL-terminated input is read to n only */
    assert_int_equal(net_addr_parse("10.0.0.1junk", 8, &ss), 0);
    assert_int_equal(ss.ss_family, AF_INET);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ipv4),     cmocka_unit_test(ipv6),           cmocka_unit_test(mapped_ipv4),
        cmocka_unit_test(refusals), cmocka_unit_test(bare_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
