/** Panel (c) of the occlusion figure: the mapped channel's projection in this image and in others. */
import type { ProjectionResult } from '../../worker/protocol/api';
import { canvasByTestId, ExportButton } from '../common/ExportButton';
import { RgbaCanvas } from '../common/RgbaCanvas';
import { OcclusionOthers } from './OcclusionOthers';

export function OcclusionProjectionPanel({
  title,
  projection,
  width,
  height,
}: {
  title: string;
  projection: ProjectionResult | null;
  width: number;
  height: number;
}) {
  return (
    <figure className="panel occ-panel occ-panel-c" data-testid="occlusion-panel-c">
      <figcaption>
        <span className="panel-title">{title}</span>
        <ExportButton
          panel="occlusion-projection"
          getCanvas={canvasByTestId('occlusion-projection')}
          disabled={!projection}
        />
      </figcaption>
      <div className="occ-c-body">
        <div>
          <div className="canvas-frame" style={{ aspectRatio: `${width} / ${height}` }}>
            <RgbaCanvas
              source={projection}
              emptyWidth={width}
              emptyHeight={height}
              data-testid="occlusion-projection"
              className="contain"
              role="img"
              aria-label={
                projection
                  ? `deconvnet projection of ${projection.request.layer} channel ${projection.request.channel}`
                  : 'no projection yet'
              }
            />
          </div>
          <p className="caption">this image: strongest activation, deconvnet</p>
        </div>
        <OcclusionOthers />
      </div>
    </figure>
  );
}
