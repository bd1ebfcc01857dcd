"""Cutting a list of items into calls: at most N items, and never more form fields than
PHP's max_input_vars (which would drop the excess without a word). Pure functions."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

# Fewest items worth a call of their own when a write is spread over idle workers: below
# this, the call's fixed cost (Moodle's start, about 20 ms) outweighs what a worker saves.
MIN_SPLIT_ITEMS = 20


@dataclass(frozen=True, slots=True)
class Batches(Generic[T]):
    batches: list[list[T]]
    # Items that alone need more fields than a request may carry: they cannot be sent.
    oversized: list[tuple[T, int]]


def plan_batches(
    items: Sequence[T], sizes: Sequence[int], *, max_items: int, field_budget: int
) -> Batches[T]:
    """Packs `items` in order; `sizes[i]` is the form fields of item i, `field_budget` what a
    request may carry besides its fixed fields. A batch closes as soon as the next item would
    pass either limit."""
    if len(items) != len(sizes):
        raise ValueError("one size per item")
    if max_items < 1 or field_budget < 1:
        raise ValueError("batch limits must be positive")
    batches: list[list[T]] = []
    oversized: list[tuple[T, int]] = []
    current: list[T] = []
    used = 0
    for item, size in zip(items, sizes, strict=True):
        if size > field_budget:
            oversized.append((item, size))
            continue
        if current and (len(current) >= max_items or used + size > field_budget):
            batches.append(current)
            current, used = [], 0
        current.append(item)
        used += size
    if current:
        batches.append(current)
    return Batches(batches, oversized)


def even_batch_size(count: int, max_items: int, concurrency: int) -> int:
    """The batch size that cuts `count` items into calls of even size filling whole rounds of
    `concurrency` calls in flight, never above `max_items`: 5,376 items by 200 are 27 calls,
    whose last round would keep 3 of 6 workers busy while the others wait; 30 calls of 180
    end together. Fewer items than a round fills are spread over the workers too, down to
    `MIN_SPLIT_ITEMS` a call."""
    if count < 1 or max_items < 1 or concurrency < 1:
        return max(max_items, 1)
    calls = math.ceil(count / max_items)
    if calls < concurrency:
        calls = min(concurrency, max(calls, count // MIN_SPLIT_ITEMS))
    else:
        calls = math.ceil(calls / concurrency) * concurrency
    return min(max_items, math.ceil(count / calls))
