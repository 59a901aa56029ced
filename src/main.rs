#[global_allocator]
static ALLOC: leaksoak::memory::CountingAlloc = leaksoak::memory::CountingAlloc::new();

fn main() {}
