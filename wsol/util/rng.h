// rng.h
//
// Random numbers that are the same on every platform and library version. The standard
// engines (std::mt19937_64) are fully specified, but the std distributions are not: the
// same seed gives different uniform_int_distribution draws under libstdc++ and libc++.
// Data generation and augmentation must not depend on that, so the distributions here are
// our own, written on top of std::mt19937_64.
//
// Seeds for independent streams (one per image, per epoch, ...) are derived by mixing
// integers with SplitMix64, so a stream never depends on which thread draws from it:
//
//   wsol::Rng rng(wsol::datasets::MixSeed({seed, epoch, image_index}));
//   int x = rng.UniformInt(0, 31);   // inclusive bounds
//   bool flip = rng.Bernoulli(0.5);
#ifndef WSOL_UTIL_RNG_H_
#define WSOL_UTIL_RNG_H_

#include <cstdint>
#include <initializer_list>
#include <random>
#include <utility>
#include <vector>

namespace wsol {

// SplitMix64 is Steele, Lea and Flood's 64-bit finalizer ("Fast splittable pseudorandom
// number generators", OOPSLA 2014): a bijective mix with good avalanche.
inline uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// MixSeed combines integers into one seed; different lists give unrelated seeds, and the
// order matters ({1, 2} != {2, 1}).
inline uint64_t MixSeed(std::initializer_list<uint64_t> values) {
  uint64_t h = 0x6a09e667f3bcc909ULL;  // Arbitrary non-zero start (sqrt(2) bits).
  for (uint64_t v : values) h = SplitMix64(h ^ SplitMix64(v));
  return h;
}

// Rng is std::mt19937_64 with platform-independent distributions.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  uint64_t NextU64() { return engine_(); }

  // UniformInt returns an integer in [lo, hi] (both inclusive), unbiased by rejection.
  // Requires lo <= hi.
  int64_t UniformInt(int64_t lo, int64_t hi) {
    const uint64_t range = static_cast<uint64_t>(hi - lo) + 1;
    if (range == 0) return static_cast<int64_t>(NextU64());  // The full 64-bit range.
    const uint64_t limit = UINT64_MAX - UINT64_MAX % range;
    uint64_t x = NextU64();
    while (x >= limit) x = NextU64();
    return lo + static_cast<int64_t>(x % range);
  }

  // Uniform01 returns a double in [0, 1) with 53 random bits.
  double Uniform01() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

  // Uniform returns a double in [lo, hi).
  double Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform01(); }

  // Bernoulli returns true with probability p.
  bool Bernoulli(double p) { return Uniform01() < p; }

  // Shuffle permutes `values` uniformly (Fisher-Yates).
  template <typename T>
  void Shuffle(std::vector<T>& values) {
    for (size_t i = values.size(); i > 1; --i) {
      const size_t j = static_cast<size_t>(UniformInt(0, static_cast<int64_t>(i) - 1));
      std::swap(values[i - 1], values[j]);
    }
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace wsol

#endif  // WSOL_UTIL_RNG_H_
