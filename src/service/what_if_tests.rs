use futures::poll;

use super::*;

#[tokio::test]
async fn a_regions_line_is_bounded_and_holds_no_other_region_up() {
    // Regions of this test's own, so that no other test shares the lines.
    let (here, there) = (
        Region::parse("LINEA").unwrap(),
        Region::parse("LINEB").unwrap(),
    );
    let running = take_turn(&here).await.unwrap();
    let mut waiting = Vec::new();
    for _ in 0..MOST_WAITING {
        let mut wait = Box::pin(take_turn(&here));
        assert!(poll!(&mut wait).is_pending());
        waiting.push(wait);
    }
    let full = take_turn(&here).await;
    assert!(matches!(full, Err(ServiceError::QueueFull { .. })));
    // Another region's line is not held up.
    drop(take_turn(&there).await.unwrap());
    // A caller that goes away gives its place up.
    drop(waiting.pop());
    let mut last = Box::pin(take_turn(&here));
    assert!(poll!(&mut last).is_pending());
    let full = take_turn(&here).await;
    assert!(matches!(full, Err(ServiceError::QueueFull { .. })));
    // When the running replay ends, the first in line runs.
    drop(running);
    let first = waiting.remove(0).await.unwrap();
    assert!(poll!(&mut last).is_pending());
    drop(first);
    drop(waiting);
    drop(last.await.unwrap());
    // Everyone gone: the line is empty again.
    let places = |region: &Region| {
        let lines = LINES.lock().unwrap();
        lines[region].places.load(Ordering::SeqCst)
    };
    assert_eq!((places(&here), places(&there)), (0, 0));
}
