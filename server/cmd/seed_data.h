/* seed_data.h — the word lists `khnetd seed` draws demo profiles from
 * (seed_data.c).  Internal to server/seed.  Strings hold no tab, newline,
 * backslash or double quote, so they go into COPY text and array literals
 * unescaped. */
#ifndef KHNET_SEED_DATA_H
#define KHNET_SEED_DATA_H

#include <stddef.h>

typedef struct seed_place {
    const char *city;
    const char *tz; /* IANA */
} seed_place;

typedef struct seed_country {
    const char *code;         /* ISO 3166-1 alpha-2 */
    int weight;               /* relative share of profiles */
    const char *lang;         /* BCP 47 tag spoken there besides vi/en, or NULL */
    const seed_place *places; /* cities */
    size_t nplaces;
    const char *const *unis; /* universities and institutes */
    size_t nunis;
} seed_country;

typedef struct seed_sector {
    const char *slug;          /* khnet_sectors.slug */
    const char *const *fields; /* degree fields */
    size_t nfields;
    const char *const *keywords; /* expertise, lower-case, vi and en */
    size_t nkeywords;
} seed_sector;

#define SEED_LIST(name)                                                                            \
    extern const char *const name[];                                                               \
    extern const size_t name##_n
SEED_LIST(seed_family);
SEED_LIST(seed_middle);
SEED_LIST(seed_given);
SEED_LIST(seed_positions);
SEED_LIST(seed_vn_unis);
#undef SEED_LIST

extern const seed_country seed_countries[];
extern const size_t seed_countries_n;
extern const seed_sector seed_sectors[];
extern const size_t seed_sectors_n;

#endif
