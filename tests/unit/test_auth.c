/*
 * SHA-256 against FIPS 180-4 vectors, and the tokens file and header
 * checks of the optional authentication.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth.h"
#include "sha256.h"

static void hex(const unsigned char *bytes, char *out)
{
    for (int i = 0; i < SHA256_BYTES; i++)
        sprintf(out + i * 2, "%02x", bytes[i]);
}

static void test_sha256_vectors(void **state)
{
    static const struct {
        const char *input;
        const char *digest;
    } vectors[] = {
        { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
        { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
        { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
    };
    unsigned char digest[SHA256_BYTES];
    char text[SHA256_BYTES * 2 + 1];
    char *million = malloc(1000000);

    (void)state;
    for (size_t i = 0; i < 3; i++) {
        sha256(vectors[i].input, strlen(vectors[i].input), digest);
        hex(digest, text);
        assert_string_equal(text, vectors[i].digest);
    }

    memset(million, 'a', 1000000);
    sha256(million, 1000000, digest);
    hex(digest, text);
    assert_string_equal(text, "cdc76e5c9914fb9281a1c7e284d73e67"
                              "f1809a48a497200e046d39ccc7112cd0");
    free(million);
}

static char tokens_path[64];

static void write_tokens(const char *text)
{
    FILE *file;

    strcpy(tokens_path, "/tmp/test-auth-XXXXXX");
    close(mkstemp(tokens_path));
    file = fopen(tokens_path, "w");
    fputs(text, file);
    fclose(file);
}

/* sha256("secret") */
#define SECRET_HASH \
    "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"

static struct http_span header(const char *text)
{
    return (struct http_span){ text, strlen(text) };
}

static void test_check_matrix(void **state)
{
    struct auth_table table;
    char err[256];

    (void)state;
    write_tokens("# comment\n\nalice " SECRET_HASH "\nbob  " SECRET_HASH
                 "\n");
    assert_int_equal(auth_load(&table, tokens_path, err, sizeof(err)), 0);
    unlink(tokens_path);
    assert_int_equal(table.count, 2);

    /* base64("alice:secret") = YWxpY2U6c2VjcmV0 */
    assert_int_equal(auth_check(&table, header("Token YWxpY2U6c2VjcmV0"),
                                "alice"), AUTH_OK);
    assert_int_equal(auth_check(&table, header("token YWxpY2U6c2VjcmV0"),
                                "alice"), AUTH_OK);
    assert_int_equal(auth_check(&table, header("Token YWxpY2U6c2VjcmV0"),
                                "bob"), AUTH_FORBIDDEN);
    /* alice:secreT */
    assert_int_equal(auth_check(&table, header("Token YWxpY2U6c2VjcmVU"),
                                "alice"), AUTH_UNAUTHORIZED);
    /* carol:secret */
    assert_int_equal(auth_check(&table, header("Token Y2Fyb2w6c2VjcmV0"),
                                "carol"), AUTH_UNAUTHORIZED);
    assert_int_equal(auth_check(&table, header(""), "alice"),
                     AUTH_UNAUTHORIZED);
    assert_int_equal(auth_check(&table, header("Token "), "alice"),
                     AUTH_UNAUTHORIZED);
    assert_int_equal(auth_check(&table, header("Basic YWxpY2U6c2VjcmV0"),
                                "alice"), AUTH_UNAUTHORIZED);
    assert_int_equal(auth_check(&table, header("Token YWxpY2U*c2VjcmV0"),
                                "alice"), AUTH_UNAUTHORIZED);
    /* "alicesecret", no colon */
    assert_int_equal(auth_check(&table, header("Token YWxpY2VzZWNyZXQ="),
                                "alice"), AUTH_UNAUTHORIZED);
    auth_free(&table);
}

static void test_load_errors(void **state)
{
    static const char *const bad[] = {
        "alice\n",
        "alice " SECRET_HASH " extra\n",
        "alice 2bb80d\n",
        "alice " SECRET_HASH "zz\n",
        "al.ice " SECRET_HASH "\n",
    };
    struct auth_table table;
    char err[256];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_tokens(bad[i]);
        assert_int_equal(auth_load(&table, tokens_path, err, sizeof(err)),
                         -1);
        assert_non_null(strstr(err, ":1:"));
        assert_int_equal(table.count, 0);
        unlink(tokens_path);
    }
    assert_int_equal(auth_load(&table, "/nonexistent/tokens", err,
                               sizeof(err)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_check_matrix),
        cmocka_unit_test(test_load_errors),
    };

    return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
