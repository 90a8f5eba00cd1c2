/*
 * famfs-harness bench reference, in C (built by `make bench` with gcc -O2).
 * Our own code: the resolution formulas of famfs.c's two resolvers (kernel-spec
 * section 3.9), a GET_FMAP payload parse with the validation of section 3.4,
 * and memcpy. The bench spawns it once and talks to it over stdin/stdout, one
 * command per line, one answer line per command:
 *
 *   fmap simple FILE_SIZE N (OFF LEN)*N          -> "ok"
 *   fmap interleave FILE_SIZE NIEXT (CHUNK NBYTES NSTRIPS (OFF LEN)*NSTRIPS)*NIEXT
 *   offsets N O1 .. ON                           -> "ok"
 *   resolve MS      (resolve every offset with length 4096, for >= MS ms)
 *                   -> "ns_per_resolution checksum"
 *   memcpy SIZE MS  -> "ns_per_copy"
 *   parse HEX MS    -> "ns_per_parse rc"
 *
 * Numbers are decimal or 0x hex. The checksum (sum of addr ^ length over one
 * pass, mod 2^64) lets the bench check that C and TS resolve alike.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef uint64_t u64;
typedef int64_t loff_t_;

#define MAX_EXT 32
#define MAX_STRIPS 32
#define MAX_OFFS 65536
#define PMD_SIZE (2ull << 20)
#define NSLOTS 24

struct ext { u64 dev_index, ext_offset, ext_len; };
struct iext { u64 nstrips, chunk_size, nbytes; struct ext strips[MAX_STRIPS]; };
struct meta {
	int error, interleaved, nextents, niext;
	u64 file_size;
	struct ext se[MAX_EXT];
	struct iext ie[MAX_EXT];
};
struct daxdev { int valid, dax_err, error; void *devp; };
struct inode { loff_t_ i_size; int s_dax; struct meta *meta; struct daxdev *devlist; };
struct iomap { u64 addr; loff_t_ offset; u64 length; void *dax_dev; int type, flags; };

static struct meta M;
static struct daxdev DEVS[NSLOTS];
static struct inode INO;
static u64 OFFS[MAX_OFFS];
static int NOFFS;

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int err_out(struct iomap *map, loff_t_ pos, int flags)
{
	map->addr = 0; map->offset = pos; map->length = 0; map->dax_dev = NULL;
	map->type = 2; map->flags = flags;
	return -EIO;
}

static int file_bad(struct inode *ino)
{
	if (!ino->meta || ino->meta->error) return -EIO;
	if ((u64)ino->i_size != ino->meta->file_size) { ino->meta->error = 1; return -ENXIO; }
	if (!ino->s_dax) return -ENXIO;
	return 0;
}

static int dax_err(struct daxdev *dd)
{
	if (!dd->valid || dd->dax_err) return -EIO;
	if (dd->error) return -EHWPOISON;
	return 0;
}

static inline loff_t_ min_loff(loff_t_ a, loff_t_ b) { return a < b ? a : b; }

__attribute__((noinline))
static int interleave_resolve(struct inode *ino, struct iomap *map, loff_t_ pos, loff_t_ len, int flags)
{
	struct meta *meta = ino->meta;
	loff_t_ local = pos;
	if (!meta->interleaved || file_bad(ino)) return err_out(map, pos, flags);
	map->offset = pos;
	for (int i = 0; i < meta->niext; i++) {
		struct iext *fei = &meta->ie[i];
		u64 chunk_size = fei->chunk_size, nstrips = fei->nstrips;
		u64 ext_size = fei->nbytes < meta->file_size ? fei->nbytes : meta->file_size;
		if (chunk_size & (PMD_SIZE - 1)) return -EINVAL;
		if (ext_size == 0) return err_out(map, pos, flags);
		if ((u64)local < ext_size) {
			u64 chunk_num = (u64)local / chunk_size;
			u64 chunk_offset = (u64)local % chunk_size;
			u64 chunk_remainder = chunk_size - chunk_offset;
			u64 stripe_num = chunk_num / nstrips;
			u64 strip_num = chunk_num % nstrips;
			u64 strip_offset = chunk_offset + stripe_num * chunk_size;
			struct ext *s = &fei->strips[strip_num];
			struct daxdev *dd;
			int rc;
			if (s->dev_index >= NSLOTS) return err_out(map, pos, flags);
			dd = &ino->devlist[s->dev_index];
			if (!dd->valid) return err_out(map, pos, flags);
			rc = dax_err(dd);
			if (rc) { meta->error = 1; return rc; }
			map->addr = s->ext_offset + strip_offset;
			map->offset = pos;
			map->length = min_loff(len, (loff_t_)chunk_remainder);
			map->dax_dev = dd->devp; map->type = 2; map->flags = flags;
			return 0;
		}
		local -= ext_size;
	}
	return err_out(map, pos, flags);
}

__attribute__((noinline))
static int resolve(struct inode *ino, struct iomap *map, loff_t_ pos, loff_t_ len, int flags)
{
	struct meta *meta = ino->meta;
	loff_t_ local = pos;
	if (!ino->devlist || file_bad(ino)) return err_out(map, pos, flags);
	if (meta->interleaved) return interleave_resolve(ino, map, pos, len, flags);
	map->offset = pos;
	for (int i = 0; i < meta->nextents; i++) {
		loff_t_ ext_offset = (loff_t_)meta->se[i].ext_offset;
		loff_t_ ext_len = (loff_t_)meta->se[i].ext_len;
		u64 idx = meta->se[i].dev_index;
		if (local < ext_len) {
			struct daxdev *dd;
			int rc;
			if (idx >= NSLOTS) return err_out(map, pos, flags);
			dd = &ino->devlist[idx];
			rc = dax_err(dd);
			if (rc) { meta->error = 1; return rc; }
			map->addr = (u64)(ext_offset + local);
			map->offset = pos;
			map->length = min_loff(len, ext_len - local);
			map->dax_dev = dd->devp; map->type = 2; map->flags = flags;
			return 0;
		}
		local -= ext_len;
	}
	return err_out(map, pos, flags);
}

static u64 num(char **p)
{
	return strtoull(strtok_r(NULL, " \n", p), NULL, 0);
}

static void cmd_fmap(char **p)
{
	char *kind = strtok_r(NULL, " \n", p);
	memset(&M, 0, sizeof(M));
	M.file_size = num(p);
	if (!strcmp(kind, "simple")) {
		M.nextents = (int)num(p);
		for (int i = 0; i < M.nextents && i < MAX_EXT; i++) { M.se[i].ext_offset = num(p); M.se[i].ext_len = num(p); }
	} else {
		M.interleaved = 1;
		M.niext = (int)num(p);
		for (int i = 0; i < M.niext && i < MAX_EXT; i++) {
			M.ie[i].chunk_size = num(p); M.ie[i].nbytes = num(p); M.ie[i].nstrips = num(p);
			for (u64 j = 0; j < M.ie[i].nstrips && j < MAX_STRIPS; j++) { M.ie[i].strips[j].ext_offset = num(p); M.ie[i].strips[j].ext_len = num(p); }
		}
	}
	DEVS[0].valid = 1; DEVS[0].devp = &DEVS[0];
	INO.i_size = (loff_t_)M.file_size; INO.s_dax = 1; INO.meta = &M; INO.devlist = DEVS;
	puts("ok");
}

static void cmd_offsets(char **p)
{
	NOFFS = (int)num(p);
	for (int i = 0; i < NOFFS && i < MAX_OFFS; i++) OFFS[i] = num(p);
	puts("ok");
}

static void cmd_resolve(char **p)
{
	double ms = (double)num(p), t0 = now_ns(), el;
	struct iomap map;
	u64 sum = 0, calls = 0, check = 0;
	for (int i = 0; i < NOFFS; i++) {
		resolve(&INO, &map, (loff_t_)OFFS[i], 4096, 0);
		check += map.addr ^ map.length;
	}
	do {
		for (int i = 0; i < NOFFS; i++) {
			resolve(&INO, &map, (loff_t_)OFFS[i], 4096, 0);
			sum += map.addr;
		}
		calls += NOFFS;
		el = now_ns() - t0;
	} while (el < ms * 1e6);
	printf("%.4f %llu %llu\n", el / calls, (unsigned long long)check, (unsigned long long)(sum & 1));
}

static void cmd_memcpy(char **p)
{
	size_t size = (size_t)num(p);
	double ms = (double)num(p), t0, el;
	unsigned char *src = malloc(64u << 20), *dst = malloc(size);
	size_t span = (64u << 20) / size, n = 0;
	memset(src, 1, 64u << 20);
	memset(dst, 0, size);
	t0 = now_ns();
	do {
		for (size_t k = 0; k < span; k++, n++) {
			memcpy(dst, src + k * size, size);
			__asm__ volatile("" : : "r"(dst) : "memory");
		}
		el = now_ns() - t0;
	} while (el < ms * 1e6);
	printf("%.4f\n", el / n);
	free(src);
	free(dst);
}

/* The validation of famfs_fuse_meta_alloc (kernel-spec 3.4), into M. */
static int parse(const unsigned char *b, size_t size)
{
	size_t next = 32;
	u64 total = 0;
	int errs = 0;
	u64 nextents, ext_type;
	if (next > size) return -EINVAL;
	nextents = *(const uint32_t *)(b + 8);
	ext_type = *(const uint32_t *)(b + 4);
	if (nextents < 1 || nextents > MAX_EXT) return -ERANGE;
	/* kzalloc of the meta header only: the arrays are filled as they are read */
	M.error = M.interleaved = M.nextents = M.niext = 0;
	M.file_size = *(const u64 *)(b + 16);
	if (ext_type == 0) {
		if (next + nextents * 24 > size) return -EINVAL;
		M.nextents = (int)nextents;
		for (u64 i = 0; i < nextents; i++, next += 24) {
			struct ext *e = &M.se[i];
			e->dev_index = *(const uint32_t *)(b + next);
			e->ext_offset = *(const u64 *)(b + next + 8);
			e->ext_len = *(const u64 *)(b + next + 16);
			errs += (e->dev_index != 0) + ((e->ext_offset & (PMD_SIZE - 1)) != 0) + ((e->ext_len & (PMD_SIZE - 1)) != 0);
			total += e->ext_len;
		}
	} else if (ext_type == 1) {
		int64_t rem = (int64_t)M.file_size;
		M.interleaved = 1;
		M.niext = (int)nextents;
		for (u64 i = 0; i < nextents; i++) {
			struct iext *ie = &M.ie[i];
			uint32_t ns, cs;
			if ((next += 24) > size) return -EINVAL;
			ns = *(const uint32_t *)(b + next - 24);
			cs = *(const uint32_t *)(b + next - 20);
			if (cs & (PMD_SIZE - 1)) return -EINVAL;
			ie->nbytes = *(const u64 *)(b + next - 16);
			if (ie->nbytes == 0) return -EINVAL;
			ie->chunk_size = cs; ie->nstrips = ns;
			if ((next += (size_t)ns * 24) > size) return -EINVAL;
			if (ns > MAX_STRIPS || ns < 1) { errs++; continue; }
			for (uint32_t j = 0; j < ns; j++) {
				const unsigned char *s = b + next - (size_t)(ns - j) * 24;
				struct ext *e = &ie->strips[j];
				e->dev_index = *(const uint32_t *)s;
				e->ext_offset = *(const u64 *)(s + 8);
				e->ext_len = *(const u64 *)(s + 16);
				errs += (e->dev_index != 0) + ((e->ext_offset & (PMD_SIZE - 1)) != 0) + ((e->ext_len & (PMD_SIZE - 1)) != 0);
				total += e->ext_len;
				rem -= (int64_t)e->ext_len;
			}
		}
		if (rem > 0) return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (errs) return -EINVAL;
	if (total < M.file_size) return -EINVAL;
	return 0;
}

static void cmd_parse(char **p)
{
	char *hex = strtok_r(NULL, " \n", p);
	double ms = (double)num(p), t0, el;
	size_t len = strlen(hex) / 2, n = 0;
	unsigned char *buf = calloc(1, len > 4096 ? len : 4096);
	int rc = 0;
	for (size_t i = 0; i < len; i++) sscanf(hex + 2 * i, "%2hhx", &buf[i]);
	t0 = now_ns();
	do {
		for (int k = 0; k < 1000; k++, n++) {
			rc = parse(buf, len);
			__asm__ volatile("" : : "r"(buf) : "memory");
		}
		el = now_ns() - t0;
	} while (el < ms * 1e6);
	printf("%.4f %d\n", el / n, rc);
	free(buf);
}

int main(void)
{
	static char line[1 << 22];
	setvbuf(stdout, NULL, _IOLBF, 0);
	while (fgets(line, sizeof(line), stdin)) {
		char *save = NULL, *cmd = strtok_r(line, " \n", &save);
		if (!cmd) continue;
		if (!strcmp(cmd, "fmap")) cmd_fmap(&save);
		else if (!strcmp(cmd, "offsets")) cmd_offsets(&save);
		else if (!strcmp(cmd, "resolve")) cmd_resolve(&save);
		else if (!strcmp(cmd, "memcpy")) cmd_memcpy(&save);
		else if (!strcmp(cmd, "parse")) cmd_parse(&save);
		else if (!strcmp(cmd, "quit")) break;
		else printf("error unknown command %s\n", cmd);
	}
	return 0;
}
