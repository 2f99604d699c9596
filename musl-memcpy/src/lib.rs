//! `memcpy` for the server's static musl build (the container image).
//!
//! musl's x86_64 `memcpy` is `rep movsq` with single-byte `movsb` steps around it: fine for
//! long copies, slow for the short ones that dominate a request (half of the calls copy 16
//! bytes or less: serde_json writing an answer piece by piece). In the image it was a fifth of
//! the server's samples on a cached call over HTTP, against 6 % for glibc's `memcpy` in the glibc
//! build (BENCHMARKS.md, "The musl image and `memcpy`").
//!
//! [`copy`] does short copies with two overlapping unaligned loads and stores of a fixed width
//! (what glibc does too) and longer ones with `rep movsb`. The server's build script links it in
//! place of musl's, for the musl x86_64 target only, with the linker's `--wrap=memcpy`: every
//! call to `memcpy` in the binary (Rust's, mimalloc's and musl's own) goes to
//! [`__wrap_memcpy`]. `memmove` stays musl's.
//!
//! Nothing here may call `memcpy`: that would be `__wrap_memcpy` again. The copies are of
//! fixed sizes of at most 16 bytes, which compile to register moves, and an inline `rep movsb`.
#![no_std]

#[cfg(target_arch = "x86_64")]
mod x86_64 {
    use core::mem::size_of;
    use core::ptr::{read_unaligned, write_unaligned};

    /// Copies `n` bytes from `src` to `dst`.
    ///
    /// # Safety
    /// As C's `memcpy`: `src` readable and `dst` writable for `n` bytes, not overlapping.
    #[inline(always)]
    pub unsafe fn copy(dst: *mut u8, src: *const u8, n: usize) {
        // SAFETY: the caller's promise; each branch hands `ends` a width it fits (W <= n <= 2W).
        // Short lengths are tested first: half of the calls copy 16 bytes or less.
        unsafe {
            if n <= 16 {
                if n >= 8 {
                    ends::<u64>(dst, src, n);
                } else if n >= 4 {
                    ends::<u32>(dst, src, n);
                } else if n >= 2 {
                    ends::<u16>(dst, src, n);
                } else if n == 1 {
                    *dst = *src;
                }
            } else if n <= 32 {
                ends::<u128>(dst, src, n);
            } else {
                // Fast on every x86_64 since Ivy Bridge (ERMS), and for short lengths too on CPUs
                // with FSRM; the direction flag is clear at every call (the ABI).
                core::arch::asm!(
                    "rep movsb",
                    inout("rcx") n => _,
                    inout("rdi") dst => _,
                    inout("rsi") src => _,
                    options(nostack, preserves_flags)
                );
            }
        }
    }

    /// Copies `n` bytes with a `T` at offset 0 and a `T` at `n - W` (W the width of `T`), both
    /// read before either is written; the two overlap unless `n` is 2W.
    ///
    /// # Safety
    /// As [`copy`], and `W <= n <= 2W`.
    #[inline(always)]
    unsafe fn ends<T: Copy>(dst: *mut u8, src: *const u8, n: usize) {
        let last = n - size_of::<T>();
        // SAFETY: both accesses are within `src[..n]` and `dst[..n]` (`W <= n`).
        unsafe {
            let (first, tail) = (
                read_unaligned(src.cast::<T>()),
                read_unaligned(src.add(last).cast::<T>()),
            );
            write_unaligned(dst.cast::<T>(), first);
            write_unaligned(dst.add(last).cast::<T>(), tail);
        }
    }
}

#[cfg(target_arch = "x86_64")]
pub use x86_64::copy;

/// The `memcpy` every call in the musl binary reaches (`-Wl,--wrap=memcpy`, server/build.rs).
///
/// # Safety
/// As C's `memcpy`.
#[cfg(all(target_arch = "x86_64", target_env = "musl"))]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __wrap_memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller's `memcpy` contract is `copy`'s.
    unsafe { copy(dst, src, n) };
    dst
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    extern crate std;
    use std::vec::Vec;

    use super::copy;

    /// Every length up to 600 and some long ones, from and to every alignment modulo 16: the
    /// destination gets exactly the source's bytes and nothing around it changes.
    #[test]
    fn copies_exactly_the_bytes_asked_for() {
        const GUARD: usize = 64;
        let lengths = (0..=600).chain([1023, 1024, 1025, 4096, 4097, 65_537]);
        for n in lengths {
            for src_off in 0..16 {
                for dst_off in [0, 1, 3, 7, 8, 9, 15] {
                    let src: Vec<u8> = (0..n + src_off + GUARD)
                        .map(|i| (i * 7 + 13) as u8)
                        .collect();
                    let mut dst = std::vec![0xA5u8; n + dst_off + 2 * GUARD];
                    let at = GUARD + dst_off;
                    // SAFETY: both ranges are inside their vectors, and the vectors are distinct.
                    unsafe { copy(dst.as_mut_ptr().add(at), src.as_ptr().add(src_off), n) };
                    assert_eq!(
                        &dst[at..at + n],
                        &src[src_off..src_off + n],
                        "n {n}, src +{src_off}, dst +{dst_off}"
                    );
                    assert!(dst[..at].iter().all(|&b| b == 0xA5), "wrote before: n {n}");
                    assert!(
                        dst[at + n..].iter().all(|&b| b == 0xA5),
                        "wrote after: n {n}"
                    );
                }
            }
        }
    }
}
