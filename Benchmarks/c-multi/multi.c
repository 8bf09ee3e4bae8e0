// A plain C curl_multi loop: the reference CurlTransport's throughput is measured against.
//
// Sends N GET requests to one URL, keeping C in flight on one multi handle driven by curl_multi_poll
// on one thread; easy handles are re-added as soon as their transfer ends (so they keep their
// connections), bodies are discarded. Prints requests per second.
//
//   cc -O2 -o /tmp/multi Benchmarks/c-multi/multi.c -lcurl
//   /tmp/multi http://127.0.0.1:8089/small 200000 64
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static size_t discard(char *data, size_t size, size_t count, void *context) {
    (void)data;
    (void)context;
    return size * count;
}

static double now_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s URL REQUESTS CONCURRENCY [http1|http2]\n", argv[0]);
        return 2;
    }
    const char *url = argv[1];
    long total = atol(argv[2]);
    int concurrency = atoi(argv[3]);
    long version = (argc > 4 && argv[4][4] == '2') ? CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE : CURL_HTTP_VERSION_1_1;
    if (total <= 0 || concurrency <= 0) return 2;

    curl_global_init(CURL_GLOBAL_ALL);
    CURLM *multi = curl_multi_init();
    curl_multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)concurrency);
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)concurrency);

    long started = 0, finished = 0, failed = 0;
    double start = now_seconds();
    for (int i = 0; i < concurrency && started < total; i++, started++) {
        CURL *easy = curl_easy_init();
        curl_easy_setopt(easy, CURLOPT_URL, url);
        curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, version);
        curl_multi_add_handle(multi, easy);
    }
    while (finished < total) {
        int running = 0;
        curl_multi_perform(multi, &running);
        CURLMsg *message;
        int queued;
        while ((message = curl_multi_info_read(multi, &queued)) != NULL) {
            if (message->msg != CURLMSG_DONE) continue;
            CURL *easy = message->easy_handle;
            long status = 0;
            curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
            if (message->data.result != CURLE_OK || status != 200) failed++;
            finished++;
            curl_multi_remove_handle(multi, easy);
            if (started < total) {
                started++;
                curl_multi_add_handle(multi, easy);
            } else {
                curl_easy_cleanup(easy);
            }
        }
        if (finished < total) curl_multi_poll(multi, NULL, 0, 1000, NULL);
    }
    double elapsed = now_seconds() - start;
    printf("%ld requests, concurrency %d, %ld failed, %.2f s, %.0f requests/s\n", total, concurrency, failed, elapsed,
           (double)total / elapsed);
    curl_multi_cleanup(multi);
    curl_global_cleanup();
    return failed == 0 ? 0 : 1;
}
