/* What the DNS parser's tests and its fuzz target both check of every return. */
#ifndef ST87_TEST_DNS_OUTCOME_H
#define ST87_TEST_DNS_OUTCOME_H

#include <stdbool.h>

#include "dns_message.h"

/* Whether @p ret is one of enum shim_dns_outcome, the only returns a good call may give. */
static inline bool is_dns_outcome(int ret)
{
	switch (ret) {
	case SHIM_DNS_ANSWER:
	case SHIM_DNS_NOT_OURS:
	case SHIM_DNS_NO_SUCH_NAME:
	case SHIM_DNS_NO_DATA:
	case SHIM_DNS_TRY_AGAIN:
	case SHIM_DNS_REFUSED:
	case SHIM_DNS_MALFORMED:
		return true;
	default:
		return false;
	}
}

#endif
