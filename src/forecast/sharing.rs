//! Results kept for reuse within a scope on one thread: a fit is a pure
//! function of its inputs, so inside one series' forecast a later candidate
//! that needs a fit an earlier one made takes the kept result, which is
//! exactly what a new fit gives. Outside a scope nothing is kept (what a
//! model's own cost is measured on).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::thread::LocalKey;

/// Run `f` with the thread-local `kept` open (empty) for reuse; an inner
/// scope shares the outermost one, which closes it again, also when `f`
/// unwinds.
pub(crate) fn keeping<T: 'static, R>(
    kept: &'static LocalKey<RefCell<Option<VecDeque<T>>>>,
    f: impl FnOnce() -> R,
) -> R {
    let outermost = kept.with_borrow_mut(|k| {
        let outermost = k.is_none();
        if outermost {
            *k = Some(VecDeque::new());
        }
        outermost
    });
    let _scope = Scope { kept, outermost };
    f()
}

/// Closes a [`keeping`] scope.
struct Scope<T: 'static> {
    kept: &'static LocalKey<RefCell<Option<VecDeque<T>>>>,
    outermost: bool,
}

impl<T: 'static> Drop for Scope<T> {
    fn drop(&mut self) {
        if self.outermost {
            self.kept.with_borrow_mut(|k| *k = None);
        }
    }
}

/// Keep `value` in an open scope of `kept`, at most `limit` values (the
/// oldest goes first); nothing outside a scope.
pub(crate) fn keep<T: 'static>(
    kept: &'static LocalKey<RefCell<Option<VecDeque<T>>>>,
    limit: usize,
    value: T,
) {
    kept.with_borrow_mut(|k| {
        if let Some(k) = k {
            if k.len() == limit {
                k.pop_front();
            }
            k.push_back(value);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static KEPT: RefCell<Option<VecDeque<u32>>> = const { RefCell::new(None) };
    }

    fn len() -> Option<usize> {
        KEPT.with_borrow(|k| k.as_ref().map(|k| k.len()))
    }

    #[test]
    fn a_scope_keeps_up_to_its_limit_and_closes_at_the_outermost() {
        keep(&KEPT, 2, 1);
        assert_eq!(len(), None, "nothing kept outside a scope");
        keeping(&KEPT, || {
            keep(&KEPT, 2, 1);
            keeping(&KEPT, || keep(&KEPT, 2, 2));
            assert_eq!(len(), Some(2), "the inner scope shares the outer");
            keep(&KEPT, 2, 3);
            KEPT.with_borrow(|k| assert_eq!(k.as_ref().unwrap(), &VecDeque::from([2, 3])));
        });
        assert_eq!(len(), None);
        let unwound = std::panic::catch_unwind(|| keeping(&KEPT, || panic!("unwinds")));
        assert!(unwound.is_err());
        assert_eq!(len(), None, "closed when unwinding");
    }
}
