/*
 * transfer.h: how a transfer on an executor's libcurl multi handle finds
 * its owner when it finishes.
 *
 * One rule for every easy handle added to that multi handle (events,
 * gateway replies, LLM calls, HTTP tools): its CURLOPT_PRIVATE is a
 * struct transfer, usually the first member of the owner's own struct.
 * The loop reads it back and calls done(); done() removes the handle
 * from the multi handle and keeps or frees it.  No owner guesses at
 * another's pointer.
 */
#ifndef PIPELIT_NET_TRANSFER_H
#define PIPELIT_NET_TRANSFER_H

#include <curl/curl.h>

struct transfer {
	void (*done)(struct transfer *t, CURL *easy, CURLcode result);
};

/* Binds t to easy (CURLOPT_PRIVATE). */
static inline void
transfer_bind(CURL *easy, struct transfer *t)
{
	curl_easy_setopt(easy, CURLOPT_PRIVATE, (char *)t);
}

/* Hands every finished transfer of multi to its owner; a handle with no
 * owner is removed and cleaned up. */
static inline void
transfer_finish_all(CURLM *multi)
{
	int left;
	CURLMsg *m;
	while ((m = curl_multi_info_read(multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		CURL *easy = m->easy_handle;
		CURLcode result = m->data.result;
		char *p = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, &p);
		struct transfer *t = (struct transfer *)(void *)p;
		if (t != NULL && t->done != NULL) {
			t->done(t, easy, result);
		} else {
			curl_multi_remove_handle(multi, easy);
			curl_easy_cleanup(easy);
		}
	}
}

#endif
