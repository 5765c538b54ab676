//! Page errors (issue 18): a refusal, a missing object and an invalid form on a page are HTML inside the
//! layout, in the reader's language — never the API's JSON.

use super::*;
use helpers::*;

async fn page(r: reqwest::RequestBuilder) -> (u16, String) {
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let html = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let body = r.text().await.unwrap();
    assert!(
        html,
        "{status} is not HTML: {}",
        &body[..body.len().min(200)]
    );
    (status, body)
}

fn in_layout(body: &str) {
    assert!(body.contains("<nav"), "no navigation: {body}");
    assert!(body.contains("role=\"alert\""), "no message: {body}");
}

fn upload(crs: &str) -> (String, Vec<u8>) {
    let b = "pingan-page-error";
    let body = format!(
        "--{b}\r\nContent-Disposition: form-data; name=\"crs\"\r\n\r\n{crs}\r\n\
         --{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"g.geojson\"\r\n\r\n\
         {{\"type\": \"FeatureCollection\", \"features\": []}}\r\n--{b}--\r\n"
    );
    (
        format!("multipart/form-data; boundary={b}"),
        body.into_bytes(),
    )
}

both!(
    page_errors_are_html_in_the_layout_in_both_languages,
    |app: TestApp| async move {
        for (lang, h403, h404, h422) in [
            ("zh-CN", "403 无权访问", "404 未找到", "422 输入有误"),
            (
                "en",
                "403 Not allowed",
                "404 Not found",
                "422 Something is not right",
            ),
        ] {
            let dispatcher = app.client_as("dispatcher").await;
            let coordinator = app.client_as("coordinator").await;
            for c in [&dispatcher, &coordinator] {
                let r = c
                    .get(format!("{}/lang?to={lang}&back=/", app.url))
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_redirection() || r.status().is_success());
            }
            // 403: the dispatcher may not import grids.
            let (status, body) = page(dispatcher.get(format!("{}/import/grids", app.url))).await;
            assert_eq!(status, 403, "{lang}");
            in_layout(&body);
            assert!(body.contains(h403), "{lang}: {body}");
            // 404: an area that does not exist.
            let (status, body) =
                page(coordinator.get(format!("{}/areas/330681999999", app.url))).await;
            assert_eq!(status, 404, "{lang}");
            in_layout(&body);
            assert!(body.contains(h404), "{lang}: {body}");
            // 422: an upload with a coordinate system that does not exist, the field named.
            let (ct, bytes) = upload("mars");
            let (status, body) = page(
                coordinator
                    .post(format!("{}/import/grids", app.url))
                    .header("content-type", ct)
                    .body(bytes),
            )
            .await;
            assert_eq!(status, 422, "{lang}");
            in_layout(&body);
            assert!(body.contains(h422), "{lang}: {body}");
            assert!(body.contains("crs"), "the field is named: {body}");
        }
    }
);

// An htmx request gets the message alone (it is swapped into the form), not a second layout.
both!(
    page_errors_for_htmx_are_fragments,
    |app: TestApp| async move {
        let c = app.client_as("coordinator").await;
        let (ct, bytes) = upload("mars");
        let (status, body) = page(
            c.post(format!("{}/import/grids", app.url))
                .header("content-type", ct)
                .header("hx-request", "true")
                .body(bytes),
        )
        .await;
        assert_eq!(status, 422);
        assert!(body.contains("role=\"alert\""), "{body}");
        assert!(!body.contains("<nav"), "a fragment, not a page: {body}");
    }
);

// The public report page answers a malformed submission with a page in its own frame, not JSON.
both!(public_page_errors_are_html_too, |app: TestApp| async move {
    let c = client();
    let (status, body) = page(
        c.post(format!("{}/report", app.url))
            .header("content-type", "application/json")
            .body("{}"),
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("role=\"alert\""), "{body}");
    assert!(body.contains("page-public"), "the public frame: {body}");
    assert!(!body.contains("<nav"), "no staff navigation: {body}");
});

both!(unknown_addresses_are_404_pages, |app: TestApp| async move {
    // Signed in: inside the layout, in the reader's language.
    let officer = app.client_as("officer").await;
    let (status, body) = page(officer.get(format!("{}/no/such/page", app.url))).await;
    assert_eq!(status, 404);
    in_layout(&body);
    assert!(body.contains("404 未找到"), "{body}");
    officer
        .get(format!("{}/lang?to=en&back=/", app.url))
        .send()
        .await
        .unwrap();
    let (status, body) = page(officer.get(format!("{}/no/such/page", app.url))).await;
    assert_eq!(status, 404);
    in_layout(&body);
    assert!(body.contains("404 Not found"), "{body}");
    // Anyone else: the public frame, no staff navigation.
    let (status, body) = page(client().get(format!("{}/no/such/page", app.url))).await;
    assert_eq!(status, 404);
    assert!(
        body.contains("page-public") && !body.contains("<nav"),
        "{body}"
    );
    // The API keeps its JSON.
    let r = client()
        .get(format!("{}/api/v1/no-such", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
});
