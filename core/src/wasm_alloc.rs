//! The WASM build's allocator (feature `wasm-alloc`, on with `wasm`): dlmalloc, as in std,
//! but growing memory in large steps. The npm package and the console both use it.
//!
//! std's allocator asks for more WASM memory 64 KiB at a time, and every `memory.grow` is
//! expensive in V8 (the memory's ArrayBuffer is detached and replaced, which also feeds the
//! JS garbage collector): at 100k users a quarter of the conversion time went there. Growing
//! by at least 16 MiB makes that a handful of calls.

use core::arch::wasm32;
use core::cell::UnsafeCell;
use core::ptr;
use std::alloc::{GlobalAlloc, Layout};

use dlmalloc::{Allocator, Dlmalloc};

const PAGE: usize = 64 * 1024;
const MIN_GROWTH: usize = 16 * 1024 * 1024;

struct LargeSteps;

// SAFETY: the methods follow the `Allocator` contract: regions come from `memory.grow`,
// are never handed out twice, and are never released (WASM memory cannot shrink).
unsafe impl Allocator for LargeSteps {
    fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
        let pages = size.max(MIN_GROWTH).div_ceil(PAGE);
        let previous = wasm32::memory_grow(0, pages);
        if previous == usize::MAX {
            // Out of memory at the large step: try exactly what was asked for.
            let exact = size.div_ceil(PAGE);
            let previous = wasm32::memory_grow(0, exact);
            if previous == usize::MAX {
                return (ptr::null_mut(), 0, 0);
            }
            return ((previous * PAGE) as *mut u8, exact * PAGE, 0);
        }
        ((previous * PAGE) as *mut u8, pages * PAGE, 0)
    }

    fn remap(&self, _ptr: *mut u8, _old: usize, _new: usize, _can_move: bool) -> *mut u8 {
        ptr::null_mut()
    }

    fn free_part(&self, _ptr: *mut u8, _old: usize, _new: usize) -> bool {
        false
    }

    fn free(&self, _ptr: *mut u8, _size: usize) -> bool {
        false
    }

    fn can_release_part(&self, _flags: u32) -> bool {
        false
    }

    fn allocates_zeros(&self) -> bool {
        true
    }

    fn page_size(&self) -> usize {
        PAGE
    }
}

struct Global(UnsafeCell<Dlmalloc<LargeSteps>>);

// SAFETY: wasm32-unknown-unknown without the atomics feature runs on one thread.
unsafe impl Sync for Global {}

// SAFETY: each method forwards to dlmalloc with the layout's size and alignment.
unsafe impl GlobalAlloc for Global {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        (*self.0.get()).malloc(layout.size(), layout.align())
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        (*self.0.get()).calloc(layout.size(), layout.align())
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        (*self.0.get()).free(ptr, layout.size(), layout.align())
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        (*self.0.get()).realloc(ptr, layout.size(), layout.align(), new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Global = Global(UnsafeCell::new(Dlmalloc::new_with_allocator(LargeSteps)));
