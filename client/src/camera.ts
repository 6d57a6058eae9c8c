/** The local camera and microphone. */

export const CAMERA_CONSTRAINTS: MediaStreamConstraints = {
  audio: true,
  // 720p so that every simulcast layer exists (Chrome drops layers of a small picture: 1/4 of 720p is 320x180).
  video: { width: { ideal: 1280 }, height: { ideal: 720 } },
};

export async function openCamera(): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new DOMException('getUserMedia is unavailable (not a secure context?)', 'NotSupportedError');
  }
  return navigator.mediaDevices.getUserMedia(CAMERA_CONSTRAINTS);
}

export function stopStream(stream: MediaStream | null): void {
  for (const track of stream?.getTracks() ?? []) track.stop();
}

/** A clear sentence for why the camera could not be opened, by the DOMException name. */
export function describeCameraError(error: unknown): string {
  const name = error instanceof DOMException || error instanceof Error ? error.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return 'Camera access was denied. Allow the camera and microphone for this site in your browser settings and try again, or continue with text only.';
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return 'No camera or microphone was found. Connect one and try again, or continue with text only.';
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return 'Your camera could not be started: another app may be using it. Close that app and try again, or continue with text only.';
    case 'NotSupportedError':
    case 'TypeError':
      return 'This browser cannot use the camera on this page (it needs a secure https connection). Continue with text only.';
    default:
      return 'Your camera could not be started. Try again, or continue with text only.';
  }
}
