/* /etc/hosts, read the way the resolver reads it, so its names never go out as DNS queries. */
#ifndef ST87_SHIM_HOSTS_FILE_H
#define ST87_SHIM_HOSTS_FILE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Finds @name (case-insensitive, canonical name or alias) in the hosts file
 * at @path with an address of @family (AF_INET, AF_INET6, or AF_UNSPEC for
 * either). Copies the address text of the first match into @address.
 * Returns true when found.
 */
bool hosts_file_lookup(const char *path, const char *name, int family, char *address, size_t len);

#endif
