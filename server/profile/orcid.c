/* orcid.c — ORCID iD validation: format and the ISO 7064 MOD 11-2 check
 * character, the same rule as khnet_orcid_valid() in SQL.  Checked here
 * too so a bad iD is a 400 naming the field, not a failed statement. */
#include "profile/profile.h"

bool profile_orcid_valid(const char *s, size_t n)
{
    if (n != 19) return false;
    int total = 0, digits = 0;
    for (size_t i = 0; i < 18; i++) {
        if (i % 5 == 4) {
            if (s[i] != '-') return false;
            continue;
        }
        if (s[i] < '0' || s[i] > '9') return false;
        total = (total + (s[i] - '0')) * 2;
        digits++;
    }
    static const char check[] = "0123456789X";
    return digits == 15 && s[18] == check[(12 - total % 11) % 11];
}
