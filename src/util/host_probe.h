/*
 * host_probe.h: what this host offers the sandboxed nodes, Pipelit's
 * EnvironmentInfo (pipelit-api.md section 2; doc/settings.md): the system,
 * a container around us, bubblewrap, the runtimes and shell tools on PATH,
 * and whether the network looks usable.
 *
 * Only files are looked at: no program is run (so runtime versions are
 * null) and no packet is sent (the network flags say whether a name
 * server is configured and a default route exists).  Cheap enough to be
 * probed on every request that shows it.
 */
#ifndef PIPELIT_UTIL_HOST_PROBE_H
#define PIPELIT_UTIL_HOST_PROBE_H

#include <jansson.h>

/* The EnvironmentInfo object (new reference).  data_dir holds the
 * sandbox's root file system (<data_dir>/rootfs); sandbox_mode is the
 * configured mode (auto, bwrap or container), resolved against what the
 * host has. */
json_t *host_probe(const char *data_dir, const char *sandbox_mode);

#endif
