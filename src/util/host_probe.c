/* host_probe.c: see host_probe.h. */
#include "host_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "xalloc.h"

/* Pipelit's tiers: tier 1 is what sandboxed commands need, tier 2 what
 * they use when present. */
static const char *const tier1_tools[] = { "bash", "python3", "pip3", "cat", "ls", "cp", "mv",
					   "mkdir", "rm", "chmod", "grep", "sed", "head", "tail",
					   "wc", NULL };
static const char *const tier2_tools[] = { "find", "sort", "awk", "xargs", "tee", "curl", "wget",
					   "git", "tar", "unzip", "jq", "node", "npm", NULL };
static const char *const runtimes[] = { "python3", "node", "pip3", NULL };

/* The executable called name on PATH (malloc'd), or NULL. */
static char *
which(const char *name)
{
	const char *path = getenv("PATH");
	if (path == NULL || *path == '\0')
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path != '\0') {
		size_t n = strcspn(path, ":");
		char *full = xasprintf("%.*s/%s", (int)n, n ? path : ".", name);
		struct stat st;
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
			return full;
		free(full);
		path += n;
		if (*path == ':')
			path++;
	}
	return NULL;
}

static int
on_path(const char *name)
{
	char *p = which(name);
	free(p);
	return p != NULL;
}

/* Whether the file at path contains needle (the first 64 KB of it). */
static int
file_contains(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return 0;
	enum { MAX = 65536 };
	char *buf = xmalloc(MAX);
	size_t n = fread(buf, 1, MAX - 1, f);
	fclose(f);
	buf[n] = '\0';
	int found = strstr(buf, needle) != NULL;
	free(buf);
	return found;
}

/* The container we run in, Pipelit's names; NULL on bare metal. */
static const char *
detect_container(void)
{
	const char *v = getenv("CODESPACES");
	if (v != NULL && strcmp(v, "true") == 0)
		return "codespaces";
	v = getenv("GITPOD_WORKSPACE_ID");
	if (v != NULL && *v != '\0')
		return "gitpod";
	if (access("/.dockerenv", F_OK) == 0)
		return "docker";
	v = getenv("container");
	if (v != NULL && strcmp(v, "podman") == 0)
		return "podman";
	if (file_contains("/proc/1/cgroup", "docker"))
		return "docker";
	if (file_contains("/proc/1/cgroup", "kubepods"))
		return "kubernetes";
	if (file_contains("/proc/1/cgroup", "containerd"))
		return "containerd";
	return NULL;
}

/* The mode that would run sandboxed code: bwrap, container or none. */
static const char *
resolve_mode(const char *configured, int bwrap, const char *container)
{
	if (strcmp(configured, "bwrap") == 0 || strcmp(configured, "container") == 0)
		return configured;
	return bwrap ? "bwrap" : container ? "container" : "none";
}

static int
has_default_route(void)
{
	/* IPv4: a route whose destination is 00000000; IPv6: ::/0. */
	return file_contains("/proc/net/route", "\t00000000\t") ||
	       file_contains("/proc/net/ipv6_route", "00000000000000000000000000000000 00 ");
}

static json_t *
probe_runtimes(void)
{
	json_t *o = json_object();
	for (size_t i = 0; runtimes[i]; i++) {
		char *p = which(runtimes[i]);
		json_object_set_new(o, runtimes[i], json_pack("{s:b, s:n, s:o}", "available", p != NULL,
							       "version", "path",
							       p ? json_string(p) : json_null()));
		free(p);
	}
	return o;
}

static json_t *
probe_tools(int *tier1_all, json_t *tier2_missing)
{
	json_t *o = json_object();
	*tier1_all = 1;
	for (size_t i = 0; tier1_tools[i]; i++) {
		int ok = on_path(tier1_tools[i]);
		*tier1_all &= ok;
		json_object_set_new(o, tier1_tools[i], json_pack("{s:b, s:i}", "available", ok, "tier", 1));
	}
	for (size_t i = 0; tier2_tools[i]; i++) {
		int ok = on_path(tier2_tools[i]);
		if (!ok)
			json_array_append_new(tier2_missing, json_string(tier2_tools[i]));
		json_object_set_new(o, tier2_tools[i], json_pack("{s:b, s:i}", "available", ok, "tier", 2));
	}
	return o;
}

json_t *
host_probe(const char *data_dir, const char *sandbox_mode)
{
	struct utsname u;
	if (uname(&u) != 0) {
		snprintf(u.sysname, sizeof(u.sysname), "unknown");
		snprintf(u.machine, sizeof(u.machine), "unknown");
	}
	const char *container = detect_container();
	int bwrap = on_path("bwrap");
	const char *mode = resolve_mode(sandbox_mode ? sandbox_mode : "auto", bwrap, container);
	char *sh = xasprintf("%s/rootfs/bin/sh", data_dir);
	int rootfs_ready = access(sh, X_OK) == 0;
	free(sh);
	int tier1_all;
	json_t *tier2_missing = json_array();
	json_t *tools = probe_tools(&tier1_all, tier2_missing);
	const char *blocked = NULL;
	if (strcmp(u.sysname, "Linux") == 0 && !bwrap && container == NULL)
		blocked = "bwrap is required for sandboxed execution. Install it with "
			  "`apt install bubblewrap`.";
	else if (strcmp(u.sysname, "Darwin") == 0 && container == NULL)
		blocked = "macOS requires Docker or another container runtime to sandbox code "
			  "execution.";
	json_t *network = json_pack("{s:b, s:b}", "dns", file_contains("/etc/resolv.conf", "nameserver"),
				    "http", has_default_route());
	return json_pack("{s:s, s:s, s:o, s:b, s:b, s:s, s:{s:o, s:o, s:o}, s:b, s:o, s:{s:b, s:o}}",
			 "os", u.sysname, "arch", u.machine,
			 "container", container ? json_string(container) : json_null(),
			 "bwrap_available", bwrap, "rootfs_ready", rootfs_ready, "sandbox_mode", mode,
			 "capabilities", "runtimes", probe_runtimes(), "shell_tools", tools,
			 "network", network,
			 "tier1_met", strcmp(mode, "bwrap") == 0 ? 1 : tier1_all,
			 "tier2_warnings", tier2_missing,
			 "gate", "passed", blocked == NULL,
			 "blocked_reason", blocked ? json_string(blocked) : json_null());
}
