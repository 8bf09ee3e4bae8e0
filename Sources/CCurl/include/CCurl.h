#ifndef SLUICE_CCURL_H
#define SLUICE_CCURL_H

#include <curl/curl.h>
#include <stdint.h>

// Typed wrappers over libcurl's variadic functions, which Swift cannot call, and a few small helpers
// that keep the transport's hot path cheap. All of them are thin: no state, no allocation.

#ifdef __cplusplus
extern "C" {
#endif

/// Calls `curl_global_init(CURL_GLOBAL_ALL)`; returns its CURLcode.
int sluice_curl_global_init(void);

// MARK: curl_easy_setopt

CURLcode sluice_easy_setopt_long(CURL *easy, CURLoption option, long value);
CURLcode sluice_easy_setopt_pointer(CURL *easy, CURLoption option, const void *value);
CURLcode sluice_easy_setopt_off(CURL *easy, CURLoption option, curl_off_t value);
/// For CURLOPT_WRITEFUNCTION and CURLOPT_HEADERFUNCTION.
CURLcode sluice_easy_setopt_write_callback(CURL *easy, CURLoption option, curl_write_callback callback);

// MARK: curl_multi_setopt

CURLMcode sluice_multi_setopt_long(CURLM *multi, CURLMoption option, long value);

// MARK: curl_easy_getinfo

CURLcode sluice_easy_getinfo_long(CURL *easy, CURLINFO info, long *value);
CURLcode sluice_easy_getinfo_off(CURL *easy, CURLINFO info, curl_off_t *value);
CURLcode sluice_easy_getinfo_pointer(CURL *easy, CURLINFO info, void **value);

// MARK: helpers

/// `curl_easy_pause(easy, CURLPAUSE_CONT)`.
CURLcode sluice_easy_unpause(CURL *easy);

/// Reads one message from `curl_multi_info_read`. Returns 1 and fills `easy` and `result` for a
/// CURLMSG_DONE message, 0 when the queue is empty. Other message kinds are skipped.
int sluice_multi_next_done(CURLM *multi, CURL **easy, CURLcode *result);

/// Blocks SIGPIPE on the calling thread, so a write to a closed socket fails with EPIPE instead of
/// killing the process.
void sluice_block_sigpipe(void);

/// Names the calling thread (at most 15 characters are kept on Linux).
void sluice_set_thread_name(const char *name);

/// The symbolic name of a CURLcode, such as "CURLE_COULDNT_CONNECT", or NULL when unknown.
const char *sluice_curl_code_name(int code);

/// The value of CURL_WRITEFUNC_PAUSE.
size_t sluice_writefunc_pause(void);

/// Nanoseconds of CLOCK_MONOTONIC.
uint64_t sluice_monotonic_ns(void);

/// Starts a detached thread running `entry(context)`. Returns 0 or an errno value.
int sluice_thread_start(void (*entry)(void *), void *context);

#ifdef __cplusplus
}
#endif

#endif
