/* Reference values for src/classify/rng.rs: SplitMix64 and xoshiro256** as published by
 * Vigna (prng.di.unimi.it), typed in from the algorithm descriptions.
 * Regenerate: gcc -O2 rng_reference.c -o /tmp/rng && /tmp/rng
 * Prints: splitmix64(1234567) twice, then xoshiro256** seeded with four splitmix64(7) outputs, twice. */
#include <stdio.h>
#include <stdint.h>
static uint64_t x;
static uint64_t splitmix_next(void) {
    uint64_t z = (x += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
}
static inline uint64_t rotl(const uint64_t v, int k) { return (v << k) | (v >> (64 - k)); }
static uint64_t s[4];
static uint64_t xoshiro_next(void) {
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
    return result;
}
int main(void) {
    x = 1234567;
    unsigned long long a = splitmix_next(), b = splitmix_next();
    printf("%llu\n%llu\n", a, b);
    x = 7;
    for (int i = 0; i < 4; i++) s[i] = splitmix_next();
    a = xoshiro_next(); b = xoshiro_next();
    printf("%llu\n%llu\n", a, b);
    return 0;
}
