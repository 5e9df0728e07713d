/*
 * Scalar C reference for the key search benchmark: RC5-32/12/9 (RC5-72) key search on the first CBC
 * block, in distributed.net's key order (the key is a big-endian integer, last byte fastest), written
 * the plain way: by default one key at a time, nothing shared between keys. It reports keys/s and the
 * same digest as the idlegrid kernel (sum of first words, xor of second words) so the two can be
 * checked against each other.
 *
 * usage: rc5_ref <start: 18 hex digits> <count> [iv plaintext ciphertext]
 * output: one JSON line {"keys":..., "seconds":..., "keysPerSecond":..., "digest":"...", "found":[...]}
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Keys computed side by side. 1 is the plain scalar loop; 32 lets gcc -O3 -march=native vectorise the
 * lane loops (x86-64: AVX2 per-lane shifts), which shows what native SIMD reaches on this CPU. */
#ifndef LANES
#define LANES 1
#endif
#define B 9
#define C 3
#define T 26
#define P32 0xB7E15163u
#define Q32 0x9E3779B9u

static inline uint32_t rotl(uint32_t x, uint32_t s) {
  uint32_t c = s & 31;
  return (x << c) | (x >> (-c & 31));
}

static uint32_t word(const char *hex, int at) { /* little-endian word from 8 hex bytes */
  uint32_t w = 0;
  for (int i = 3; i >= 0; i--) {
    unsigned v;
    sscanf(hex + 2 * (at + i), "%2x", &v);
    w = (w << 8) | v;
  }
  return w;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s <start hex, 18 digits> <count> [iv plaintext ciphertext]\n", argv[0]);
    return 2;
  }
  const char *iv = argc > 5 ? argv[3] : "07ce591f86149a41";
  const char *pt = argc > 5 ? argv[4] : "54686520756e6b6e";
  const char *ct = argc > 5 ? argv[5] : "5a282d562a85b72f";
  uint8_t key[B];
  for (int i = 0; i < B; i++) {
    unsigned v;
    sscanf(argv[1] + 2 * i, "%2x", &v);
    key[i] = (uint8_t)v;
  }
  uint64_t count = strtoull(argv[2], 0, 10);
  uint32_t p0 = word(pt, 0) ^ word(iv, 0), p1 = word(pt, 4) ^ word(iv, 4);
  uint32_t c0 = word(ct, 0), c1 = word(ct, 4);
  uint32_t sum = 0, xr = 0;
  int nfound = 0;
  char found[16][2 * B + 1];

  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (uint64_t n = 0; n < count; n += LANES) {
    uint32_t L[C][LANES], S[T][LANES], A[LANES], Bw[LANES];
    uint8_t keys[LANES][B];
    for (int l = 0; l < LANES; l++) {
      uint32_t w[C] = {0};
      for (int i = B - 1; i >= 0; i--) w[i / 4] = (w[i / 4] << 8) | key[i];
      for (int j = 0; j < C; j++) L[j][l] = w[j];
      memcpy(keys[l], key, B);
      for (int i = B - 1; i >= 0 && ++key[i] == 0; i--) /* next key: last byte fastest, carry leftwards */;
    }
    for (int i = 0; i < T; i++)
      for (int l = 0; l < LANES; l++) S[i][l] = P32 + (uint32_t)i * Q32;
    for (int l = 0; l < LANES; l++) A[l] = Bw[l] = 0;
    for (int k = 0, i = 0, j = 0; k < 3 * T; k++) {
      for (int l = 0; l < LANES; l++) {
        uint32_t a = rotl(S[i][l] + A[l] + Bw[l], 3);
        uint32_t b = rotl(L[j][l] + a + Bw[l], a + Bw[l]);
        A[l] = S[i][l] = a;
        Bw[l] = L[j][l] = b;
      }
      if (++i == T) i = 0;
      if (++j == C) j = 0;
    }
    for (int l = 0; l < LANES; l++) {
      A[l] = p0 + S[0][l];
      Bw[l] = p1 + S[1][l];
    }
    for (int r = 1; r <= 12; r++)
      for (int l = 0; l < LANES; l++) {
        A[l] = rotl(A[l] ^ Bw[l], Bw[l]) + S[2 * r][l];
        Bw[l] = rotl(Bw[l] ^ A[l], A[l]) + S[2 * r + 1][l];
      }
    for (int l = 0; l < LANES && n + l < count; l++) {
      sum += A[l];
      xr ^= Bw[l];
      if (A[l] == c0 && Bw[l] == c1 && nfound < 16) {
        for (int i = 0; i < B; i++) sprintf(found[nfound] + 2 * i, "%02x", keys[l][i]);
        nfound++;
      }
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
  printf("{\"keys\":%llu,\"seconds\":%.6f,\"keysPerSecond\":%.1f,\"digest\":\"%08x%08x\",\"found\":[",
         (unsigned long long)count, secs, (double)count / secs, sum, xr);
  for (int i = 0; i < nfound; i++) printf("%s\"%s\"", i ? "," : "", found[i]);
  printf("]}\n");
  return 0;
}
