/* listen_fixture.h — a listening TCP socket on 127.0.0.1 at a free port,
 * for the unit tests that run an in-process peer (test_client.c's
 * scripted HTTP peer, test_client_tls.c's TLS peer). */
#ifndef KHNET_TESTS_UNIT_LISTEN_FIXTURE_H
#define KHNET_TESTS_UNIT_LISTEN_FIXTURE_H

/* The socket (the caller closes it), its port in *port; -1 on failure. */
int listen_loopback(int *port);

#endif
